import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { createDeployment, DEMO_SECRET, DIALECTS, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { basic, postForm } from '../helpers/http.js';

const pg = await postgresAvailable();

describe.each(DIALECTS)('client_credentials, introspection, revocation (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let srv: ServerProcess;
  let api: { client_id: string; client_secret: string };
  beforeAll(async () => {
    if (skip) return;
    dep = await createDeployment(dialect);
    srv = await dep.serve();
    // A client holds only registered scopes: api:read is the seeded demo scope, api:write is registered here.
    expect((await dep.cli(['scopes', 'create', '--name', 'api:write', '--description', 'Change your data'])).code).toBe(0);
    const created = await dep.cli(['clients', 'create', '--name', 'Backend', '--scope', 'api:read api:write', '--resource', 'https://api.example.com', '--json']);
    expect(created.code, created.stderr).toBe(0);
    api = JSON.parse(created.stdout);
  });
  afterAll(async () => dep?.cleanup());

  it.skipIf(skip)('issues an RFC 9068 JWT that verifies through /jwks.json (openid-client)', async () => {
    // openid-client defaults to client_secret_post; this client is registered for client_secret_basic.
    const config = await client.discovery(new URL(dep.issuer), api.client_id, undefined, client.ClientSecretBasic(api.client_secret), {
      execute: [client.allowInsecureRequests],
    });
    const tokens = await client.clientCredentialsGrant(config, { scope: 'api:read', resource: 'https://api.example.com' });
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.expires_in).toBe(3600);
    expect(tokens.refresh_token).toBeUndefined();
    const { payload, protectedHeader } = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(`${srv.url}/jwks.json`)), {
      issuer: dep.issuer,
      audience: 'https://api.example.com',
      typ: 'at+jwt',
    });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({ sub: api.client_id, client_id: api.client_id, scope: 'api:read' });
    expect(payload.jti).toBeTypeOf('string');
  });

  it.skipIf(skip)('client_secret_post works only for clients registered for it; basic and post headers are right', async () => {
    const post = await postForm(`${srv.url}/oauth/token`, { grant_type: 'client_credentials', client_id: api.client_id, client_secret: api.client_secret });
    expect(post.status).toBe(401);
    expect(post.json['error']).toBe('invalid_client');
    expect(post.headers.get('www-authenticate')).toBeNull();
    const ok = await postForm(`${srv.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(api.client_id, api.client_secret) });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('no-store');
    expect(ok.headers.get('pragma')).toBe('no-cache');
    expect(decodeProtectedHeader(ok.json['access_token'] as string).typ).toBe('at+jwt');
    // no resource → the configured default audience (the issuer)
    expect(JSON.parse(Buffer.from((ok.json['access_token'] as string).split('.')[1]!, 'base64url').toString())['aud']).toBe(dep.issuer);
  });

  it.skipIf(skip)('refuses wrong secret, unknown client, bad scope, bad resource, unsupported grant', async () => {
    const token = `${srv.url}/oauth/token`;
    const wrong = await postForm(token, { grant_type: 'client_credentials' }, { authorization: basic(api.client_id, 'wrong') });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic/);
    const unknown = await postForm(token, { grant_type: 'client_credentials' }, { authorization: basic('nobody', 'x') });
    expect(unknown.json['error']).toBe('invalid_client');
    const scope = await postForm(token, { grant_type: 'client_credentials', scope: 'admin' }, { authorization: basic(api.client_id, api.client_secret) });
    expect(scope.json['error']).toBe('invalid_scope');
    const target = await postForm(token, { grant_type: 'client_credentials', resource: 'https://other.example.com' }, { authorization: basic(api.client_id, api.client_secret) });
    expect(target.json['error']).toBe('invalid_target');
    const missing = await postForm(token, { scope: 'api:read' }, { authorization: basic(api.client_id, api.client_secret) });
    expect(missing.json['error']).toBe('invalid_request');
    const grant = await postForm(token, { grant_type: 'password', username: 'a', password: 'b' }, { authorization: basic(api.client_id, api.client_secret) });
    expect(grant.json['error']).toBe('unsupported_grant_type');
    const notAllowed = await postForm(token, { grant_type: 'authorization_code', code: 'x' }, { authorization: basic(api.client_id, api.client_secret) });
    expect(notAllowed.json['error']).toBe('unauthorized_client');
  });

  it.skipIf(skip)('demo client (operator-supplied argon2id secret) authenticates quickly after the first time', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await postForm(`${srv.url}/oauth/token`, { grant_type: 'client_credentials', scope: 'api:read' }, { authorization: basic('demo-client', DEMO_SECRET) });
      expect(r.status).toBe(200);
    }
  });

  it.skipIf(skip)('secret rotation with grace: old keeps working until the grace ends, then fails', async () => {
    const created = JSON.parse((await dep.cli(['clients', 'create', '--name', 'Rotating', '--scope', 'api:read', '--json'])).stdout);
    const rotated = await dep.cli(['clients', 'rotate-secret', created.client_id, '--grace', '2s', '--json']);
    const fresh = JSON.parse(rotated.stdout).client_secret as string;
    const cc = (secret: string) => postForm(`${srv.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(created.client_id, secret) });
    expect((await cc(fresh)).status).toBe(200);
    expect((await cc(created.client_secret)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 3100));
    expect((await cc(created.client_secret)).status).toBe(401);
    expect((await cc(fresh)).status).toBe(200);
    // Deleting the client kills its tokens.
    const token = (await cc(fresh)).json['access_token'] as string;
    expect((await dep.cli(['clients', 'delete', created.client_id])).code).toBe(0);
    const intro = await postForm(`${srv.url}/oauth/introspect`, { token }, { authorization: basic(api.client_id, api.client_secret) });
    expect(intro.json).toEqual({ active: false });
  });
});
