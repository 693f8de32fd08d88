/**
 * Two processes on one database, and a kill -9 under load: the production failure modes a single-process,
 * in-memory test never sees.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeployment, DEMO_SECRET, DIALECTS, freePort, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { basic, postForm } from '../helpers/http.js';
import { Browser, authorizeFlow } from '../helpers/flow.js';

const pg = await postgresAvailable();
const REDIRECT = 'http://localhost:8080/callback';
const DEMO = basic('demo-client', DEMO_SECRET);

const token = (url: string, form: Record<string, string>) => postForm(`${url}/oauth/token`, form, { authorization: DEMO });
const introspect = (url: string, t: string) => postForm(`${url}/oauth/introspect`, { token: t }, { authorization: DEMO });

describe.each(DIALECTS)('two processes, one database (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let a: ServerProcess;
  let b: ServerProcess;
  beforeAll(async () => {
    if (skip) return;
    dep = await createDeployment(dialect);
    a = await dep.serve();
    b = await dep.serve(await freePort());
  });
  afterAll(async () => dep?.cleanup());

  it.skipIf(skip)('authorize on A, redeem on B, refresh on A, revoke on B, introspect on A', async () => {
    const flow = await authorizeFlow(new Browser(a.url), { clientId: 'demo-client', redirectUri: REDIRECT });
    const t0 = await token(b.url, { grant_type: 'authorization_code', code: flow.code!, code_verifier: flow.verifier, redirect_uri: REDIRECT });
    expect(t0.status).toBe(200);
    const t1 = await token(a.url, { grant_type: 'refresh_token', refresh_token: t0.json['refresh_token'] as string });
    expect(t1.status, JSON.stringify(t1.json)).toBe(200);
    expect((await postForm(`${b.url}/oauth/revoke`, { token: t1.json['refresh_token'] as string }, { authorization: DEMO })).status).toBe(200);
    expect((await introspect(a.url, t1.json['refresh_token'] as string)).json).toEqual({ active: false });
    // revoking the refresh token revoked its grant, and so the access tokens issued from it
    expect((await introspect(a.url, t1.json['access_token'] as string)).json).toEqual({ active: false });
    expect((await token(a.url, { grant_type: 'refresh_token', refresh_token: t1.json['refresh_token'] as string })).json['error']).toBe('invalid_grant');
  });
});

describe.each(DIALECTS)('crash under load: kill -9 and restart (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  beforeAll(async () => {
    if (skip) return;
    dep = await createDeployment(dialect);
  });
  afterAll(async () => dep?.cleanup());

  it.skipIf(skip)('tokens issued before the kill still introspect; no code or refresh token works twice; restart needs no repair', async () => {
    let srv = await dep.serve();
    // Refresh families to rotate under load, and codes redeemed before the kill.
    const families: string[] = [];
    const redeemed: Array<{ code: string; verifier: string }> = [];
    for (let i = 0; i < 4; i++) {
      const flow = await authorizeFlow(new Browser(srv.url), { clientId: 'demo-client', redirectUri: REDIRECT });
      const t = await token(srv.url, { grant_type: 'authorization_code', code: flow.code!, code_verifier: flow.verifier, redirect_uri: REDIRECT });
      families.push(t.json['refresh_token'] as string);
      redeemed.push({ code: flow.code!, verifier: flow.verifier });
    }
    const issued: string[] = [];
    const spent: string[] = [];
    let stop = false;
    const deadline = Date.now() + 5000;
    const ccLoop = async () => {
      while (!stop && Date.now() < deadline) {
        const r = await token(srv.url, { grant_type: 'client_credentials', scope: 'api:read' }).catch(() => undefined);
        if (r?.status === 200) issued.push(r.json['access_token'] as string);
      }
    };
    const refreshLoop = async (i: number) => {
      while (!stop && Date.now() < deadline) {
        const current = families[i]!;
        const r = await token(srv.url, { grant_type: 'refresh_token', refresh_token: current }).catch(() => undefined);
        if (r?.status === 200) {
          spent.push(current);
          families[i] = r.json['refresh_token'] as string;
          issued.push(r.json['access_token'] as string);
        }
      }
    };
    const load = Promise.all([ccLoop(), ccLoop(), ...families.map((_, i) => refreshLoop(i))]);
    // Kill once the load has issued tokens (at least 800 ms in; sooner on a fast machine is not possible, later
    // on a busy CI machine is fine: the deadline above still bounds the loops).
    const killAt = Date.now() + 800;
    while (Date.now() < killAt || (issued.length <= 20 && Date.now() < deadline - 500)) await new Promise((r) => setTimeout(r, 50));
    await srv.kill9();
    stop = true;
    await load;
    expect(issued.length).toBeGreaterThan(20);

    srv = await dep.serve(); // same database, no repair step
    for (const t of issued) expect((await introspect(srv.url, t)).json['active'], 'token issued before the kill').toBe(true);
    for (const { code, verifier } of redeemed) {
      expect((await token(srv.url, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT })).json['error']).toBe('invalid_grant');
    }
    // The newest token of each family may or may not have been spent by a request cut off by the kill; either way
    // it works at most once now, and every token seen spent before the kill is refused.
    for (const latest of families) {
      const first = await token(srv.url, { grant_type: 'refresh_token', refresh_token: latest });
      const second = await token(srv.url, { grant_type: 'refresh_token', refresh_token: latest });
      expect(second.json['error']).toBe('invalid_grant');
      expect([200, 400]).toContain(first.status);
    }
    for (const old of spent) expect((await token(srv.url, { grant_type: 'refresh_token', refresh_token: old })).json['error']).toBe('invalid_grant');
  });
});
