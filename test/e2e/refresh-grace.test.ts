/**
 * Issue 14, "Refresh with a grace interval" (`auth.refreshTokenReuseInterval`). Within the interval after a
 * rotation, the same client using the spent refresh token again gets a fresh rotation from the same family
 * and nothing is revoked; after it, the reuse revokes the family as before. The default (0) stays strict.
 * Real `gatehouse serve` processes (two on one database for the race), real HTTP, both dialects.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeployment, DEMO_SECRET, DIALECTS, freePort, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { basic, json, postForm } from '../helpers/http.js';
import { Browser, authorizeFlow } from '../helpers/flow.js';

const pg = await postgresAvailable();
const REDIRECT = 'http://localhost:8080/callback';
const AUTH = basic('demo-client', DEMO_SECRET);
/** Seconds; long enough for a slow machine to finish the "inside" steps, short enough to wait out. */
const INTERVAL = 3;
const RACERS = 40;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Json = Record<string, unknown>;

describe.each(DIALECTS)('refresh grace interval (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let grace: Deployment;
  let strict: Deployment;
  let servers: ServerProcess[];
  let strictSrv: ServerProcess;
  beforeAll(async () => {
    if (skip) return;
    grace = await createDeployment(dialect, { auth: { refreshTokenReuseInterval: INTERVAL } });
    servers = [await grace.serve(), await grace.serve(await freePort())];
    strict = await createDeployment(dialect);
    strictSrv = await strict.serve();
  }, 90_000);
  afterAll(async () => {
    await grace?.cleanup();
    await strict?.cleanup();
  });

  const tokens = async (base: string): Promise<Json> => {
    const flow = await authorizeFlow(new Browser(base), { clientId: 'demo-client', redirectUri: REDIRECT });
    const res = await postForm(`${base}/oauth/token`, { grant_type: 'authorization_code', code: flow.code!, code_verifier: flow.verifier, redirect_uri: REDIRECT }, { authorization: AUTH });
    expect(res.status).toBe(200);
    return res.json;
  };
  const refresh = (base: string, t: Json) => postForm(`${base}/oauth/token`, { grant_type: 'refresh_token', refresh_token: t['refresh_token'] as string }, { authorization: AUTH });
  const active = async (base: string, t: Json) =>
    (await postForm(`${base}/oauth/introspect`, { token: t['access_token'] as string }, { authorization: AUTH })).json['active'] === true;

  it.skipIf(skip)('refresh-grace-concurrent: two concurrent refreshes inside the interval both succeed, the family stays live', async () => {
    const base = servers[0]!.url;
    const t0 = await tokens(base);
    const both = await Promise.all([refresh(servers[0]!.url, t0), refresh(servers[1]!.url, t0)]);
    expect(both.map((r) => r.status)).toEqual([200, 200]);
    const [a, b] = both.map((r) => r.json);
    expect(a!['refresh_token']).not.toBe(b!['refresh_token']);
    // Neither answer was revoked by the other: both access tokens are active and both new refresh tokens rotate.
    expect(await active(base, a!)).toBe(true);
    expect(await active(base, b!)).toBe(true);
    expect((await refresh(base, a!)).status).toBe(200);
    expect((await refresh(base, b!)).status).toBe(200);
  }, 60_000);

  it.skipIf(skip)(`refresh-grace-race: ${RACERS} concurrent uses of one token over two processes all succeed, no 5xx`, async () => {
    const t0 = await tokens(servers[0]!.url);
    const results = await Promise.all(Array.from({ length: RACERS }, (_, i) => refresh(servers[i % 2]!.url, t0)));
    expect(results.map((r) => r.status)).toEqual(Array(RACERS).fill(200));
    expect(new Set(results.map((r) => r.json['refresh_token'])).size).toBe(RACERS);
    for (const r of results) expect(await active(servers[0]!.url, r.json)).toBe(true);
  }, 60_000);

  it.skipIf(skip)('refresh-grace-retry: a retry after a lost response gets a fresh rotation; the first successor stays valid', async () => {
    const base = servers[0]!.url;
    const t0 = await tokens(base);
    const t1 = (await refresh(base, t0)).json;
    const retry = await refresh(base, t0);
    expect(retry.status).toBe(200);
    expect(retry.json['refresh_token']).not.toBe(t1['refresh_token']);
    expect(retry.json['scope']).toBe(t1['scope']);
    expect((await refresh(base, t1)).status).toBe(200);
  }, 60_000);

  it.skipIf(skip)('refresh-grace-other-client: the interval is for the same client only; another client is refused and spends nothing', async () => {
    const base = servers[0]!.url;
    const reg = await json(`${base}/oauth/register`, {
      method: 'POST',
      headers: { authorization: 'Bearer test-initial-access-token-0123456789' },
      body: JSON.stringify({ redirect_uris: ['https://other.example.com/cb'], grant_types: ['authorization_code', 'refresh_token'], token_endpoint_auth_method: 'client_secret_basic' }),
    });
    expect(reg.status).toBe(201);
    const other = reg.json as { client_id: string; client_secret: string };
    const t0 = await tokens(base);
    const t1 = (await refresh(base, t0)).json;
    const stolen = await postForm(`${base}/oauth/token`, { grant_type: 'refresh_token', refresh_token: t0['refresh_token'] as string }, { authorization: basic(other.client_id, other.client_secret) });
    expect(stolen.json['error']).toBe('invalid_grant');
    expect((await refresh(base, t1)).status).toBe(200);
  }, 60_000);

  it.skipIf(skip)('refresh-grace-revoked: a revoked token is not revived by the interval', async () => {
    const base = servers[0]!.url;
    const t0 = await tokens(base);
    const t1 = (await refresh(base, t0)).json;
    const revoke = await postForm(`${base}/oauth/revoke`, { token: t1['refresh_token'] as string, token_type_hint: 'refresh_token' }, { authorization: AUTH });
    expect(revoke.status).toBe(200);
    expect((await refresh(base, t0)).json['error']).toBe('invalid_grant');
  }, 60_000);

  it.skipIf(skip)('refresh-grace-expired: a reuse after the interval revokes the family', async () => {
    const base = servers[0]!.url;
    const t0 = await tokens(base);
    const t1 = (await refresh(base, t0)).json;
    await sleep((INTERVAL + 1.2) * 1000);
    const late = await refresh(base, t0);
    expect(late.status).toBe(400);
    expect(late.json['error']).toBe('invalid_grant');
    expect((await refresh(base, t1)).json['error']).toBe('invalid_grant');
    expect(await active(base, t1)).toBe(false);
  }, 60_000);

  it.skipIf(skip)('refresh-strict-default: with the default interval (0) a second use revokes the family at once', async () => {
    const base = strictSrv.url;
    const t0 = await tokens(base);
    const t1 = (await refresh(base, t0)).json;
    const again = await refresh(base, t0);
    expect(again.json['error']).toBe('invalid_grant');
    expect((await refresh(base, t1)).json['error']).toBe('invalid_grant');
    expect(await active(base, t1)).toBe(false);
  }, 60_000);

  it.skipIf(skip)('no process logged a server error', () => {
    for (const s of [...servers, strictSrv]) expect(s.output()).not.toMatch(/deadlock|could not serialize|"level":50/);
  });
});
