import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeployment, DEMO_SECRET, DIALECTS, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { basic, json, postForm } from '../helpers/http.js';
import { Browser, authorizeFlow } from '../helpers/flow.js';

const pg = await postgresAvailable();
const REDIRECT = 'http://localhost:8080/callback';

describe.each(DIALECTS)('userinfo and consent revocation (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let srv: ServerProcess;
  let app: { client_id: string; client_secret: string };
  beforeAll(async () => {
    if (skip) return;
    dep = await createDeployment(dialect, { auth: { idTokenExpiry: 1 } });
    srv = await dep.serve();
    app = JSON.parse(
      (await dep.cli(['clients', 'create', '--redirect-uri', REDIRECT, '--post-logout-redirect-uri', 'http://localhost:8080/bye', '--grant', 'authorization_code', '--grant', 'refresh_token', '--scope', 'openid profile email offline_access', '--json'])).stdout,
    );
  });
  afterAll(async () => dep?.cleanup());

  const signIn = async (browser = new Browser(srv.url)) => {
    const flow = await authorizeFlow(browser, { clientId: app.client_id, redirectUri: REDIRECT });
    const tokens = await postForm(`${srv.url}/oauth/token`, { grant_type: 'authorization_code', code: flow.code!, code_verifier: flow.verifier, redirect_uri: REDIRECT }, { authorization: basic(app.client_id, app.client_secret) });
    return { browser, tokens: tokens.json as Record<string, string> };
  };

  it.skipIf(skip)('userinfo: GET and POST with a bearer token; refusals carry WWW-Authenticate', async () => {
    const { tokens } = await signIn();
    const get = await json(`${srv.url}/oauth/userinfo`, { headers: { authorization: `Bearer ${tokens['access_token']}` } });
    expect(get.status).toBe(200);
    expect(get.json).toMatchObject({ email: 'admin@example.com', given_name: 'Ada' });
    const post = await postForm(`${srv.url}/oauth/userinfo`, { access_token: tokens['access_token']! });
    expect(post.json['sub']).toBe(get.json['sub']);
    const none = await fetch(`${srv.url}/oauth/userinfo`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const bad = await fetch(`${srv.url}/oauth/userinfo`, { headers: { authorization: 'Bearer nope' } });
    expect(bad.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    // A client_credentials token has no user.
    const cc = await postForm(`${srv.url}/oauth/token`, { grant_type: 'client_credentials', scope: 'api:read' }, { authorization: basic('demo-client', DEMO_SECRET) });
    expect((await fetch(`${srv.url}/oauth/userinfo`, { headers: { authorization: `Bearer ${cc.json['access_token']}` } })).status).toBe(403);
    await postForm(`${srv.url}/oauth/revoke`, { token: tokens['access_token']! }, { authorization: basic(app.client_id, app.client_secret) });
    expect((await fetch(`${srv.url}/oauth/userinfo`, { headers: { authorization: `Bearer ${tokens['access_token']}` } })).status).toBe(401);
  });

  it.skipIf(skip)('revoking consent (admin API) revokes the refresh tokens; disabling a user stops refresh', async () => {
    const { tokens } = await signIn();
    const admin = JSON.parse((await dep.cli(['clients', 'create', '--scope', 'admin', '--json'])).stdout);
    const at = (await postForm(`${srv.url}/oauth/token`, { grant_type: 'client_credentials', scope: 'admin' }, { authorization: basic(admin.client_id, admin.client_secret) })).json['access_token'];
    const h = { authorization: `Bearer ${at}` };
    const users = (await json(`${srv.url}/admin/api/v1/users`, { headers: h })).json['users'] as Array<{ id: string; email: string }>;
    const ada = users.find((u) => u.email === 'admin@example.com')!;
    const consents = (await json(`${srv.url}/admin/api/v1/users/${ada.id}/consents`, { headers: h })).json['consents'] as Array<{ client_id: string }>;
    expect(consents.map((x) => x.client_id)).toContain(app.client_id);
    expect((await json(`${srv.url}/admin/api/v1/users/${ada.id}/consents/${app.client_id}`, { method: 'DELETE', headers: h })).status).toBe(204);
    const refresh = await postForm(`${srv.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: tokens['refresh_token']! }, { authorization: basic(app.client_id, app.client_secret) });
    expect(refresh.json['error']).toBe('invalid_grant');

    const second = await signIn();
    expect((await dep.cli(['users', 'disable', 'admin@example.com'])).code).toBe(0);
    const disabled = await postForm(`${srv.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: second.tokens['refresh_token']! }, { authorization: basic(app.client_id, app.client_secret) });
    expect(disabled.json['error']).toBe('invalid_grant');
    expect((await dep.cli(['users', 'enable', 'admin@example.com'])).code).toBe(0);
  });
});
