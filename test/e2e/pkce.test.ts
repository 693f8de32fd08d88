import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeployment, DEMO_SECRET, DIALECTS, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { basic, postForm } from '../helpers/http.js';
import { Browser, authorizeFlow, pkce } from '../helpers/flow.js';

const pg = await postgresAvailable();
const REDIRECT = 'http://localhost:8080/callback';

describe.each(DIALECTS)('PKCE (RFC 7636, S256 only) (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let srv: ServerProcess;
  let legacy: { client_id: string; client_secret: string };
  beforeAll(async () => {
    if (skip) return;
    dep = await createDeployment(dialect);
    srv = await dep.serve();
    legacy = JSON.parse((await dep.cli(['clients', 'create', '--name', 'Legacy RP', '--no-pkce', '--redirect-uri', REDIRECT, '--grant', 'authorization_code', '--scope', 'openid', '--json'])).stdout);
  });
  afterAll(async () => dep?.cleanup());

  const authorize = (clientId: string, extra: Record<string, string>) =>
    new Browser(srv.url).get(`/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, scope: 'openid', state: 'st', ...extra })}`);
  const errorOf = async (res: Response) => new URL(res.headers.get('location')!).searchParams.get('error');

  it.skipIf(skip)('a missing, plain or malformed challenge is invalid_request', async () => {
    const { challenge } = pkce();
    expect(await errorOf(await authorize('demo-client', {}))).toBe('invalid_request');
    expect(await errorOf(await authorize('demo-client', { code_challenge: challenge }))).toBe('invalid_request');
    expect(await errorOf(await authorize('demo-client', { code_challenge: challenge, code_challenge_method: 'plain' }))).toBe('invalid_request');
    expect(await errorOf(await authorize('demo-client', { code_challenge: 'short', code_challenge_method: 'S256' }))).toBe('invalid_request');
    const discovery = (await (await fetch(`${srv.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery['code_challenge_methods_supported']).toEqual(['S256']);
  });

  it.skipIf(skip)('the verifier must match the challenge and be 43–128 characters', async () => {
    for (const verifier of [pkce().verifier, 'x'.repeat(42), 'x'.repeat(129)]) {
      const flow = await authorizeFlow(new Browser(srv.url), { clientId: 'demo-client', redirectUri: REDIRECT });
      const r = await postForm(`${srv.url}/oauth/token`, { grant_type: 'authorization_code', code: flow.code!, code_verifier: verifier, redirect_uri: REDIRECT }, { authorization: basic('demo-client', DEMO_SECRET) });
      expect(r.json['error']).toBe('invalid_grant');
    }
  });

  it.skipIf(skip)('a legacy confidential client may skip PKCE, but a verifier for a code without challenge is refused', async () => {
    const flow = await authorizeFlow(new Browser(srv.url), { clientId: legacy.client_id, redirectUri: REDIRECT, scope: 'openid', extra: { code_challenge: '', code_challenge_method: '' } });
    const bad = await postForm(`${srv.url}/oauth/token`, { grant_type: 'authorization_code', code: flow.code!, code_verifier: pkce().verifier, redirect_uri: REDIRECT }, { authorization: basic(legacy.client_id, legacy.client_secret) });
    expect(bad.json['error']).toBe('invalid_grant');
    const flow2 = await authorizeFlow(new Browser(srv.url), { clientId: legacy.client_id, redirectUri: REDIRECT, scope: 'openid', extra: { code_challenge: '', code_challenge_method: '' } });
    const ok = await postForm(`${srv.url}/oauth/token`, { grant_type: 'authorization_code', code: flow2.code!, redirect_uri: REDIRECT }, { authorization: basic(legacy.client_id, legacy.client_secret) });
    expect(ok.status).toBe(200);
  });
});
