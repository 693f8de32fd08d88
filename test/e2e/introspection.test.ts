import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oauth from 'oauth4webapi';
import { createDeployment, DIALECTS, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { basic, postForm } from '../helpers/http.js';

const pg = await postgresAvailable();

describe.each(DIALECTS)('introspection (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let srv: ServerProcess;
  let api: { client_id: string; client_secret: string };
  let rs: { client_id: string; client_secret: string };
  let other: { client_id: string; client_secret: string };
  beforeAll(async () => {
    if (skip) return;
    dep = await createDeployment(dialect);
    srv = await dep.serve();
    // A client holds only registered scopes: api:read is the seeded demo scope, api:write is registered here.
    expect((await dep.cli(['scopes', 'create', '--name', 'api:write', '--description', 'Change your data'])).code).toBe(0);
    const created = await dep.cli(['clients', 'create', '--name', 'Backend', '--scope', 'api:read api:write', '--resource', 'https://api.example.com', '--json']);
    expect(created.code, created.stderr).toBe(0);
    api = JSON.parse(created.stdout);
    const rsOut = await dep.cli(['clients', 'create', '--name', 'Resource server', '--scope', 'api:read', '--resource', 'https://api.example.com', '--json']);
    rs = JSON.parse(rsOut.stdout);
    other = JSON.parse((await dep.cli(['clients', 'create', '--name', 'Unrelated backend', '--scope', 'api:read', '--json'])).stdout);
  });
  afterAll(async () => dep?.cleanup());

  it.skipIf(skip)('introspection: active for a valid token, inactive after revocation; RS may introspect by audience', async () => {
    const as = { issuer: dep.issuer, token_endpoint: `${srv.url}/oauth/token`, introspection_endpoint: `${srv.url}/oauth/introspect`, revocation_endpoint: `${srv.url}/oauth/revoke` } as oauth.AuthorizationServer;
    const c: oauth.Client = { client_id: api.client_id };
    const auth = oauth.ClientSecretBasic(api.client_secret);
    const opts = { [oauth.allowInsecureRequests]: true };
    const params = new URLSearchParams({ scope: 'api:read', resource: 'https://api.example.com' });
    const tr = await oauth.processClientCredentialsResponse(as, c, await oauth.clientCredentialsGrantRequest(as, c, auth, params, opts));
    const intro = await oauth.processIntrospectionResponse(as, c, await oauth.introspectionRequest(as, c, auth, tr.access_token, opts));
    expect(intro).toMatchObject({ active: true, client_id: api.client_id, sub: api.client_id, scope: 'api:read', iss: dep.issuer, token_type: 'Bearer' });
    // The resource server introspects a token whose audience is its resource.
    const byRs = await postForm(`${srv.url}/oauth/introspect`, { token: tr.access_token }, { authorization: basic(rs.client_id, rs.client_secret) });
    expect(byRs.json['active']).toBe(true);
    // Another client without that resource sees nothing.
    const byOther = await postForm(`${srv.url}/oauth/introspect`, { token: tr.access_token }, { authorization: basic(other.client_id, other.client_secret) });
    expect(byOther.json).toEqual({ active: false });
    // Another client cannot revoke it.
    const foreign = await postForm(`${srv.url}/oauth/revoke`, { token: tr.access_token }, { authorization: basic(other.client_id, other.client_secret) });
    expect(foreign.status).toBe(400);
    await oauth.processRevocationResponse(await oauth.revocationRequest(as, c, auth, tr.access_token, opts));
    const after = await postForm(`${srv.url}/oauth/introspect`, { token: tr.access_token }, { authorization: basic(api.client_id, api.client_secret) });
    expect(after.json).toEqual({ active: false });
    // A public client proves nothing about itself: it may not introspect.
    const byPublic = await postForm(`${srv.url}/oauth/introspect`, { token: tr.access_token, client_id: '00000000-0000-4000-8000-000000000001' });
    expect(byPublic.status).toBe(401);
    expect(byPublic.json['error']).toBe('invalid_client');
    // Unknown and malformed tokens: revoke → 200, introspect → inactive and nothing else.
    expect((await postForm(`${srv.url}/oauth/revoke`, { token: 'nope' }, { authorization: basic(api.client_id, api.client_secret) })).status).toBe(200);
    const tampered = tr.access_token.slice(0, -4) + 'AAAA';
    expect((await postForm(`${srv.url}/oauth/introspect`, { token: tampered }, { authorization: basic(api.client_id, api.client_secret) })).json).toEqual({ active: false });
  });

});
