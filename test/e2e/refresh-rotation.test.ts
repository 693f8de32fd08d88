import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeployment, DEMO_SECRET, DIALECTS, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { basic, postForm } from '../helpers/http.js';
import { Browser, authorizeFlow } from '../helpers/flow.js';

const pg = await postgresAvailable();
const REDIRECT = 'http://localhost:8080/callback';

describe.each(DIALECTS)('refresh token rotation (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let srv: ServerProcess;
  beforeAll(async () => {
    if (skip) return;
    dep = await createDeployment(dialect, { auth: { codeExpiry: 2 } });
    srv = await dep.serve();
  });
  afterAll(async () => dep?.cleanup());

  const redeem = (code: string, verifier: string, clientAuth = basic('demo-client', DEMO_SECRET), redirectUri = REDIRECT) =>
    postForm(`${srv.url}/oauth/token`, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirectUri }, { authorization: clientAuth });

  it.skipIf(skip)('refresh rotation: reuse of a rotated token revokes the family; scope may only narrow', async () => {
    const flow = await authorizeFlow(new Browser(srv.url), { clientId: 'demo-client', redirectUri: REDIRECT });
    const t0 = (await redeem(flow.code!, flow.verifier)).json;
    const refresh = (rt: string, extra: Record<string, string> = {}) =>
      postForm(`${srv.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: rt, ...extra }, { authorization: basic('demo-client', DEMO_SECRET) });
    const wider = await refresh(t0['refresh_token'] as string, { scope: 'openid api:read' });
    expect(wider.json['error']).toBe('invalid_scope');
    const narrowed = await refresh(t0['refresh_token'] as string, { scope: 'openid' });
    expect(narrowed.status).toBe(200);
    expect(narrowed.json['scope']).toBe('openid');
    const t1 = narrowed.json;
    const t2 = (await refresh(t1['refresh_token'] as string)).json;
    expect(t2['scope']).toBe('openid profile email offline_access'); // the new token keeps the grant's scope
    const reuse = await refresh(t1['refresh_token'] as string);
    expect(reuse.json['error']).toBe('invalid_grant');
    expect((await refresh(t2['refresh_token'] as string)).json['error']).toBe('invalid_grant');
    const intro = await postForm(`${srv.url}/oauth/introspect`, { token: t2['access_token'] as string }, { authorization: basic('demo-client', DEMO_SECRET) });
    expect(intro.json).toEqual({ active: false });
  });

  it.skipIf(skip)('two concurrent refreshes with one token: exactly one succeeds', async () => {
    const flow = await authorizeFlow(new Browser(srv.url), { clientId: 'demo-client', redirectUri: REDIRECT });
    const t0 = (await redeem(flow.code!, flow.verifier)).json;
    const both = await Promise.all(
      [1, 2].map(() => postForm(`${srv.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: t0['refresh_token'] as string }, { authorization: basic('demo-client', DEMO_SECRET) })),
    );
    expect(both.filter((r) => r.status === 200).length).toBe(1);
  });
});
