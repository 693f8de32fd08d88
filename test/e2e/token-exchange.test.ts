/**
 * Issue 11, RFC 8693 token exchange through `gatehouse serve` with openid-client v6's genericGrantRequest: a
 * user's access token exchanged for a downscoped token for another audience, delegation with `act`, scope
 * widening and clients without the grant refused, revoked and expired subject tokens refused.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { createDeployment, DIALECTS, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { basic, postForm } from '../helpers/http.js';
import { Browser, authorizeFlow } from '../helpers/flow.js';

const pg = await postgresAvailable();
const REDIRECT = 'http://localhost:8080/callback';
const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const AT = 'urn:ietf:params:oauth:token-type:access_token';
const API_B = 'https://api.example.com';

describe.each(DIALECTS)('token exchange, RFC 8693 (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let srv: ServerProcess;
  let app: { client_id: string; client_secret: string };
  let config: client.Configuration;
  const connect = (c: { client_id: string; client_secret: string }) =>
    client.discovery(new URL(dep.issuer), c.client_id, undefined, client.ClientSecretBasic(c.client_secret), { execute: [client.allowInsecureRequests] });
  const userToken = async () => {
    const flow = await authorizeFlow(new Browser(srv.url), { clientId: app.client_id, redirectUri: REDIRECT, scope: 'openid profile' });
    return client.authorizationCodeGrant(config, flow.url, { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce });
  };
  const payloadOf = async (jwt: string) =>
    (await jwtVerify(jwt, createRemoteJWKSet(new URL(`${srv.url}/jwks.json`)), { issuer: dep.issuer, typ: 'at+jwt' })).payload;

  beforeAll(async () => {
    if (skip) return;
    dep = await createDeployment(dialect);
    const created = await dep.cli([
      'clients', 'create', '--redirect-uri', REDIRECT, '--grant', 'authorization_code', '--grant', 'client_credentials', '--grant', GRANT,
      '--scope', 'openid profile', '--resource', API_B, '--skip-consent', '--json',
    ]);
    expect(created.code, created.stderr).toBe(0);
    app = JSON.parse(created.stdout);
    srv = await dep.serve();
    config = await connect(app);
  }, 60_000);
  afterAll(async () => dep?.cleanup());

  it.skipIf(skip)('advertises the grant; exchanges a user access token for a downscoped token for another audience', async () => {
    expect(config.serverMetadata().grant_types_supported).toContain(GRANT);
    const user = await userToken();
    const exchanged = await client.genericGrantRequest(config, GRANT, { subject_token: user.access_token, subject_token_type: AT, audience: API_B, scope: 'profile' });
    expect(exchanged['issued_token_type']).toBe(AT);
    expect(exchanged.token_type).toBe('bearer');
    expect(exchanged.refresh_token).toBeUndefined();
    expect(exchanged.scope).toBe('profile');
    expect(exchanged.expires_in).toBeLessThanOrEqual(user.expires_in!);
    const original = await payloadOf(user.access_token);
    const claims = await payloadOf(exchanged.access_token);
    expect(claims).toMatchObject({ sub: original.sub, aud: API_B, scope: 'profile', client_id: app.client_id });
    expect(claims.exp!).toBeLessThanOrEqual(original.exp!);
    expect(claims['act']).toBeUndefined();
  });

  it.skipIf(skip)('delegation: an actor token produces act; nested exchange nests act (§4.1)', async () => {
    const user = await userToken();
    const actor = await client.clientCredentialsGrant(config, {});
    const once = await client.genericGrantRequest(config, GRANT, { subject_token: user.access_token, subject_token_type: AT, actor_token: actor.access_token, actor_token_type: AT });
    expect((await payloadOf(once.access_token))['act']).toEqual({ sub: app.client_id, iss: dep.issuer });
    const twice = await client.genericGrantRequest(config, GRANT, { subject_token: once.access_token, subject_token_type: AT, actor_token: actor.access_token, actor_token_type: AT });
    expect((await payloadOf(twice.access_token))['act']).toEqual({ sub: app.client_id, iss: dep.issuer, act: { sub: app.client_id, iss: dep.issuer } });
  });

  it.skipIf(skip)('refuses scope widening, foreign audiences, unknown token types, bad and revoked tokens', async () => {
    const user = await userToken();
    const call = (params: Record<string, string>) => postForm(`${srv.url}/oauth/token`, { grant_type: GRANT, ...params }, { authorization: basic(app.client_id, app.client_secret) });
    const narrowed = await client.genericGrantRequest(config, GRANT, { subject_token: user.access_token, subject_token_type: AT, scope: 'profile' });
    expect((await call({ subject_token: narrowed.access_token, subject_token_type: AT, scope: 'openid profile' })).json['error']).toBe('invalid_scope');
    expect((await call({ subject_token: user.access_token, subject_token_type: AT, audience: 'https://evil.example.com' })).json['error']).toBe('invalid_target');
    expect((await call({ subject_token: user.access_token, subject_token_type: 'urn:ietf:params:oauth:token-type:saml2' })).json['error']).toBe('invalid_request');
    expect((await call({ subject_token: 'not-a-token', subject_token_type: AT })).json['error']).toBe('invalid_request');
    expect((await call({ subject_token: user.access_token, subject_token_type: AT, requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' })).json['error']).toBe('invalid_request');
    await client.tokenRevocation(config, user.access_token);
    const revoked = await call({ subject_token: user.access_token, subject_token_type: AT });
    expect(revoked.status).toBe(400);
    expect(revoked.json['error']).toBe('invalid_request');
  });

  it.skipIf(skip)('a client without the grant type cannot exchange', async () => {
    const user = await userToken();
    const other = JSON.parse((await dep.cli(['clients', 'create', '--name', 'No exchange', '--scope', 'profile', '--json'])).stdout) as typeof app;
    await expect(client.genericGrantRequest(await connect(other), GRANT, { subject_token: user.access_token, subject_token_type: AT })).rejects.toMatchObject({ error: 'unauthorized_client' });
  });

  it.skipIf(skip)('an expired subject token is refused', async () => {
    const file = join(tmpdir(), `short-ttl-${process.pid}-${dialect}.json`);
    await writeFile(file, JSON.stringify({ access_token_ttl: 1 }));
    const short = JSON.parse((await dep.cli(['clients', 'create', '--metadata', file, '--grant', 'client_credentials', '--grant', GRANT, '--json'])).stdout) as typeof app;
    const shortConfig = await connect(short);
    const token = await client.clientCredentialsGrant(shortConfig, {});
    await new Promise((r) => setTimeout(r, 2100));
    await expect(client.genericGrantRequest(shortConfig, GRANT, { subject_token: token.access_token, subject_token_type: AT })).rejects.toMatchObject({ error: 'invalid_request' });
  });
});
