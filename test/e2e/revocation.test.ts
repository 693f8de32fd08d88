import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeployment, DEMO_SECRET, DIALECTS, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { basic, postForm } from '../helpers/http.js';
import { Browser, authorizeFlow } from '../helpers/flow.js';

const pg = await postgresAvailable();
const REDIRECT = 'http://localhost:8080/callback';
const DEMO = basic('demo-client', DEMO_SECRET);

describe.each(DIALECTS)('revocation (RFC 7009) (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let srv: ServerProcess;
  beforeAll(async () => {
    if (skip) return;
    dep = await createDeployment(dialect);
    srv = await dep.serve();
  });
  afterAll(async () => dep?.cleanup());

  it.skipIf(skip)('revoking a refresh token revokes its grant: the refresh token and its access tokens stop working', async () => {
    const flow = await authorizeFlow(new Browser(srv.url), { clientId: 'demo-client', redirectUri: REDIRECT });
    const t = (await postForm(`${srv.url}/oauth/token`, { grant_type: 'authorization_code', code: flow.code!, code_verifier: flow.verifier, redirect_uri: REDIRECT }, { authorization: DEMO })).json;
    const r = await postForm(`${srv.url}/oauth/revoke`, { token: t['refresh_token'] as string, token_type_hint: 'refresh_token' }, { authorization: DEMO });
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect((await postForm(`${srv.url}/oauth/introspect`, { token: t['access_token'] as string }, { authorization: DEMO })).json).toEqual({ active: false });
    expect((await postForm(`${srv.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: t['refresh_token'] as string }, { authorization: DEMO })).json['error']).toBe('invalid_grant');
    const userinfo = await fetch(`${srv.url}/oauth/userinfo`, { headers: { authorization: `Bearer ${t['access_token']}` } });
    expect(userinfo.status).toBe(401);
  });

  it.skipIf(skip)('needs client authentication; unknown tokens are fine; another client cannot revoke', async () => {
    const noAuth = await postForm(`${srv.url}/oauth/revoke`, { token: 'x' });
    expect(noAuth.status).toBe(401);
    expect((await postForm(`${srv.url}/oauth/revoke`, { token: 'not-a-token' }, { authorization: DEMO })).status).toBe(200);
    expect((await postForm(`${srv.url}/oauth/revoke`, {}, { authorization: DEMO })).json['error']).toBe('invalid_request');
    const other = JSON.parse((await dep.cli(['clients', 'create', '--scope', 'api:read', '--json'])).stdout);
    const at = (await postForm(`${srv.url}/oauth/token`, { grant_type: 'client_credentials', scope: 'api:read' }, { authorization: DEMO })).json['access_token'] as string;
    const foreign = await postForm(`${srv.url}/oauth/revoke`, { token: at }, { authorization: basic(other.client_id, other.client_secret) });
    expect(foreign.status).toBe(400);
    expect(foreign.json['error']).toBe('unauthorized_client');
    expect((await postForm(`${srv.url}/oauth/introspect`, { token: at }, { authorization: DEMO })).json['active']).toBe(true);
  });
});
