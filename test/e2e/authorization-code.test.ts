import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { createDeployment, DEMO_SECRET, DIALECTS, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { basic, postForm } from '../helpers/http.js';
import { Browser, authorizeFlow, pkce } from '../helpers/flow.js';

const pg = await postgresAvailable();
const REDIRECT = 'http://localhost:8080/callback';

describe.each(DIALECTS)('authorization code flow (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let srv: ServerProcess;
  let config: client.Configuration;
  beforeAll(async () => {
    if (skip) return;
    dep = await createDeployment(dialect, { auth: { codeExpiry: 2 } });
    srv = await dep.serve();
    config = await client.discovery(new URL(dep.issuer), 'demo-client', undefined, client.ClientSecretBasic(DEMO_SECRET), {
      execute: [client.allowInsecureRequests],
    });
  });
  afterAll(async () => dep?.cleanup());

  const redeem = (code: string, verifier: string, clientAuth = basic('demo-client', DEMO_SECRET), redirectUri = REDIRECT) =>
    postForm(`${srv.url}/oauth/token`, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirectUri }, { authorization: clientAuth });

  it.skipIf(skip)('openid-client: code → tokens with a valid ID token → userinfo → refresh', async () => {
    const browser = new Browser(srv.url);
    const flow = await authorizeFlow(browser, { clientId: 'demo-client', redirectUri: REDIRECT });
    expect(flow.url.searchParams.get('iss')).toBe(dep.issuer);
    const tokens = await client.authorizationCodeGrant(config, flow.url, {
      pkceCodeVerifier: flow.verifier,
      expectedState: flow.state,
      expectedNonce: flow.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims()!;
    expect(claims.iss).toBe(dep.issuer);
    expect(claims.aud).toBe('demo-client');
    expect(claims.nonce).toBe(flow.nonce);
    expect(claims['sid']).toBeTypeOf('string');
    expect(claims['amr']).toEqual(['pwd']);
    expect(claims['at_hash']).toBeTypeOf('string');
    expect(claims['email']).toBeUndefined(); // claims go to userinfo unless asked for in the ID token
    expect(tokens.refresh_token).toBeTypeOf('string');
    const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    expect(info).toMatchObject({ sub: claims.sub, email: 'admin@example.com', email_verified: true, name: 'Ada Admin' });
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect(refreshed.claims()!.sub).toBe(claims.sub);

    // Second authorization: session and consent are remembered, the code comes back at once.
    const again = await browser.get(`/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: 'demo-client', redirect_uri: REDIRECT, scope: 'openid', code_challenge: pkce().challenge, code_challenge_method: 'S256' })}`);
    expect(again.status).toBe(303);
    expect(new URL(again.headers.get('location')!).searchParams.get('code')).toBeTruthy();
  });

  it.skipIf(skip)('a replayed code fails and revokes what it issued', async () => {
    const flow = await authorizeFlow(new Browser(srv.url), { clientId: 'demo-client', redirectUri: REDIRECT });
    const first = await redeem(flow.code!, flow.verifier);
    expect(first.status).toBe(200);
    const replay = await redeem(flow.code!, flow.verifier);
    expect(replay.status).toBe(400);
    expect(replay.json).toEqual({ error: 'invalid_grant', error_description: 'grant request is invalid' });
    const at = await postForm(`${srv.url}/oauth/introspect`, { token: first.json['access_token'] as string }, { authorization: basic('demo-client', DEMO_SECRET) });
    expect(at.json).toEqual({ active: false });
    const rt = await postForm(`${srv.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: first.json['refresh_token'] as string }, { authorization: basic('demo-client', DEMO_SECRET) });
    expect(rt.json['error']).toBe('invalid_grant');
  });

  it.skipIf(skip)('50 parallel redemptions of one code: exactly one succeeds', async () => {
    const flow = await authorizeFlow(new Browser(srv.url), { clientId: 'demo-client', redirectUri: REDIRECT });
    const results = await Promise.all(Array.from({ length: 50 }, () => redeem(flow.code!, flow.verifier)));
    expect(results.filter((r) => r.status === 200).length).toBe(1);
    expect(results.filter((r) => r.status === 400 && r.json['error'] === 'invalid_grant').length).toBe(49);
    expect(results.some((r) => r.status >= 500)).toBe(false);
  });

  it.skipIf(skip)('refuses a wrong verifier, another client, a different redirect_uri and an expired code', async () => {
    const other = JSON.parse((await dep.cli(['clients', 'create', '--redirect-uri', REDIRECT, '--grant', 'authorization_code', '--json'])).stdout);
    const cases: Array<[string, (code: string, verifier: string) => ReturnType<typeof redeem>]> = [
      ['wrong verifier', (code) => redeem(code, pkce().verifier)],
      ['missing verifier', (code) => postForm(`${srv.url}/oauth/token`, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT }, { authorization: basic('demo-client', DEMO_SECRET) })],
      ['another client', (code, v) => redeem(code, v, basic(other.client_id, other.client_secret))],
      ['other redirect_uri', (code, v) => redeem(code, v, undefined, 'http://localhost:8080/other')],
    ];
    for (const [name, attempt] of cases) {
      const flow = await authorizeFlow(new Browser(srv.url), { clientId: 'demo-client', redirectUri: REDIRECT });
      const r = await attempt(flow.code!, flow.verifier);
      expect(r.json['error'], name).toBe('invalid_grant');
    }
    const flow = await authorizeFlow(new Browser(srv.url), { clientId: 'demo-client', redirectUri: REDIRECT });
    await new Promise((r) => setTimeout(r, 3100));
    expect((await redeem(flow.code!, flow.verifier)).json['error']).toBe('invalid_grant');
  });

});
