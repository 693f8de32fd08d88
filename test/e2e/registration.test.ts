import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeployment, DIALECTS, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { basic, json, postForm } from '../helpers/http.js';

const pg = await postgresAvailable();
const CONFIG_IAT = 'test-initial-access-token-0123456789';

describe.each(DIALECTS)('dynamic registration (RFC 7591/7592) and the admin API (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let srv: ServerProcess;
  beforeAll(async () => {
    if (skip) return;
    dep = await createDeployment(dialect);
    srv = await dep.serve();
  });
  afterAll(async () => dep?.cleanup());

  const register = (body: unknown, token?: string) =>
    json(`${srv.url}/oauth/register`, { method: 'POST', body: JSON.stringify(body), headers: token ? { authorization: `Bearer ${token}` } : {} });

  it.skipIf(skip)('registers with an initial access token, then reads, updates and deletes with the registration token', async () => {
    // Self-registered clients hold only the registration policy's scopes (registration.allowedScopes).
    const refused = await register({ client_name: 'Svc', grant_types: ['client_credentials'], scope: 'api:read' }, CONFIG_IAT);
    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({ error: 'invalid_client_metadata', error_description: expect.stringContaining('api:read') });
    const r = await register({ client_name: 'Svc', grant_types: ['client_credentials'] }, CONFIG_IAT);
    expect(r.status).toBe(201);
    const meta = r.json as Record<string, string>;
    expect(meta['client_id']).toMatch(/^[\w-]+$/);
    expect(meta['client_secret']).toMatch(/^[\w-]{43}$/);
    expect(meta['client_secret_expires_at']).toBe(0);
    expect(meta['token_endpoint_auth_method']).toBe('client_secret_basic');
    const tok = await postForm(`${srv.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(meta['client_id']!, meta['client_secret']!) });
    expect(tok.status).toBe(200);

    const uri = meta['registration_client_uri']!.replace(dep.issuer, srv.url);
    const auth = { authorization: `Bearer ${meta['registration_access_token']}` };
    const read = await json(uri, { headers: auth });
    expect(read.status).toBe(200);
    expect(read.json['client_secret']).toBeUndefined();
    const upd = await json(uri, { method: 'PUT', headers: auth, body: JSON.stringify({ ...read.json, client_name: 'Svc 2' }) });
    expect(upd.status).toBe(200);
    expect(upd.json['client_name']).toBe('Svc 2');
    expect((await json(uri, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await json(uri, { method: 'DELETE', headers: auth })).status).toBe(204);
    expect((await json(uri, { headers: auth })).status).toBe(401);
  });

  it.skipIf(skip)('refuses without a valid initial access token; CLI tokens are spent per use', async () => {
    expect((await register({ grant_types: ['client_credentials'] })).status).toBe(401);
    expect((await register({ grant_types: ['client_credentials'] }, 'guess')).status).toBe(401);
    const created = await dep.cli(['registration-tokens', 'create', '--uses', '1', '--expires', '1h', '--json']);
    const token = JSON.parse(created.stdout).token as string;
    expect((await register({ grant_types: ['client_credentials'] }, token)).status).toBe(201);
    expect((await register({ grant_types: ['client_credentials'] }, token)).status).toBe(401);
  });

  it.skipIf(skip)('rejects bad metadata with invalid_redirect_uri / invalid_client_metadata', async () => {
    const cases: Array<[unknown, string]> = [
      [{ redirect_uris: ['http://evil.example.com/cb'] }, 'invalid_redirect_uri'],
      [{ redirect_uris: ['https://app.example.com/*'] }, 'invalid_redirect_uri'],
      [{ redirect_uris: ['https://app.example.com/cb#frag'] }, 'invalid_redirect_uri'],
      [{ redirect_uris: ['https://user:pw@app.example.com/cb'] }, 'invalid_redirect_uri'],
      [{ redirect_uris: [] }, 'invalid_redirect_uri'],
      [{ grant_types: ['implicit'], redirect_uris: ['https://a.example/cb'] }, 'invalid_client_metadata'],
      [{ grant_types: ['client_credentials'], token_endpoint_auth_method: 'none' }, 'invalid_client_metadata'],
      [{ redirect_uris: ['https://a.example/cb'], scope: 'openid admin' }, 'invalid_client_metadata'],
      [{ redirect_uris: ['https://a.example/cb'], skip_consent: true }, 'invalid_client_metadata'],
      [{ redirect_uris: ['https://a.example/cb'], token_endpoint_auth_method: 'private_key_jwt' }, 'invalid_client_metadata'],
      [{ redirect_uris: ['https://a.example/cb'], unknown_field: 1 }, 'invalid_client_metadata'],
      [{ redirect_uris: ['https://a.example/cb'], token_endpoint_auth_method: 'none', pkce_required: false }, 'invalid_client_metadata'],
      [['not', 'an', 'object'], 'invalid_client_metadata'],
    ];
    for (const [body, error] of cases) {
      const r = await register(body, CONFIG_IAT);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json['error'], JSON.stringify(body)).toBe(error);
      expect(r.json['error_description']).toBeTypeOf('string');
    }
    // Accepted: loopback http and private-use schemes for native apps (RFC 8252).
    const native = await register({ redirect_uris: ['http://127.0.0.1/cb', 'com.example.app:/cb'], token_endpoint_auth_method: 'none' }, CONFIG_IAT);
    expect(native.status).toBe(201);
    expect(native.json['client_secret']).toBeUndefined();
  });

  it.skipIf(skip)('admin API needs a token with the admin scope and manages clients', async () => {
    expect((await json(`${srv.url}/admin/api/v1/clients`)).status).toBe(401);
    const adminClient = JSON.parse((await dep.cli(['clients', 'create', '--scope', 'admin', '--json'])).stdout);
    const plain = JSON.parse((await dep.cli(['clients', 'create', '--scope', 'api:read', '--json'])).stdout);
    const tokenFor = async (c: { client_id: string; client_secret: string }, scope: string) =>
      (await postForm(`${srv.url}/oauth/token`, { grant_type: 'client_credentials', scope }, { authorization: basic(c.client_id, c.client_secret) })).json['access_token'] as string;
    const noAdmin = await json(`${srv.url}/admin/api/v1/clients`, { headers: { authorization: `Bearer ${await tokenFor(plain, 'api:read')}` } });
    expect(noAdmin.status).toBe(403);
    const h = { authorization: `Bearer ${await tokenFor(adminClient, 'admin')}` };
    const created = await json(`${srv.url}/admin/api/v1/clients`, { method: 'POST', headers: h, body: JSON.stringify({ client_name: 'Made by API', grant_types: ['client_credentials'] }) });
    expect(created.status).toBe(201);
    expect(created.json['client_secret']).toBeTypeOf('string');
    const id = created.json['client_id'] as string;
    const got = await json(`${srv.url}/admin/api/v1/clients/${id}`, { headers: h });
    expect(got.json['client_name']).toBe('Made by API');
    expect(got.json['client_secret']).toBeUndefined();
    const bad = await json(`${srv.url}/admin/api/v1/clients`, { method: 'POST', headers: h, body: JSON.stringify({ redirect_uris: ['ftp://x'] }) });
    expect(bad.status).toBe(400);
    expect(bad.json['error_description']).toMatch(/^redirect_uris: /);
    const rotated = await json(`${srv.url}/admin/api/v1/clients/${id}/rotate-secret`, { method: 'POST', headers: h, body: JSON.stringify({ grace: '1h' }) });
    expect(rotated.json['client_secret']).toBeTypeOf('string');
    expect((await json(`${srv.url}/admin/api/v1/clients/nope`, { headers: h })).status).toBe(404);
    const def = await json(`${srv.url}/admin/api/v1/clients/00000000-0000-4000-8000-000000000001`, { method: 'DELETE', headers: h });
    expect(def.status).toBe(409);
    expect((await json(`${srv.url}/admin/api/v1/clients/${id}`, { method: 'DELETE', headers: h })).status).toBe(204);
    expect((await json(`${srv.url}/admin/api/v1/clients/${id}`, { headers: h })).status).toBe(404);
  });
});
