/**
 * Issue 9, "Operator trust": authority comes from roles held now, not from scopes a client asks for. Everything
 * here runs against `gatehouse serve` and the CLI on a real database, with sign-ins through the seeded public
 * dashboard client, the way the reported hole was found.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, createDeployment, DIALECTS, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { basic, json, postForm } from '../helpers/http.js';
import { Browser, authorizeFlow } from '../helpers/flow.js';

const pg = await postgresAvailable();
const DASHBOARD = '00000000-0000-4000-8000-000000000001';
const DASHBOARD_REDIRECT = 'http://localhost:9000/dashboard/callback';
const PASSWORD = 'a long enough password';

describe.each(DIALECTS)('operator trust (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let srv: ServerProcess;
  let project: { id: string; num: number };
  let projectAdmin: { id: string };
  beforeAll(async () => {
    if (skip) return;
    dep = await createDeployment(dialect);
    srv = await dep.serve();
    const user = async (email: string) => JSON.parse((await dep.cli(['users', 'create', '--email', email, '--password', PASSWORD, '--json'])).stdout);
    await user('plain@example.test');
    projectAdmin = await user('padmin@example.test');
    project = JSON.parse((await dep.cli(['projects', 'create', '--name', 'Billing', '--json'])).stdout);
    expect((await dep.cli(['members', 'add', '--project', project.id, '--user', 'padmin@example.test', '--role', 'admin'])).code).toBe(0);
  });
  afterAll(async () => dep?.cleanup());

  /** Signs in through the public dashboard client and redeems the code (PKCE, no secret). */
  const dashboardTokens = async (email: string, password: string, scope: string) => {
    const browser = new Browser(srv.url);
    const flow = await authorizeFlow(browser, { clientId: DASHBOARD, redirectUri: DASHBOARD_REDIRECT, scope, email, password });
    if (!flow.code) return { flow, tokens: undefined };
    const res = await postForm(`${srv.url}/oauth/token`, {
      grant_type: 'authorization_code',
      client_id: DASHBOARD,
      code: flow.code,
      code_verifier: flow.verifier,
      redirect_uri: DASHBOARD_REDIRECT,
    });
    expect(res.status).toBe(200);
    return { flow, browser, tokens: res.json as Record<string, string> };
  };
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it.skipIf(skip)('a plain user asking the dashboard for admin does not get it; admin alone is invalid_scope', async () => {
    const { tokens } = await dashboardTokens('plain@example.test', PASSWORD, 'openid admin offline_access');
    expect(tokens!['scope']!.split(' ').sort()).toEqual(['offline_access', 'openid']);
    const users = await json(`${srv.url}/admin/api/v1/users`, { headers: bearer(tokens!['access_token']!) });
    expect(users.status).toBe(403);
    // A refresh cannot widen it either.
    const refreshed = await postForm(`${srv.url}/oauth/token`, { grant_type: 'refresh_token', client_id: DASHBOARD, refresh_token: tokens!['refresh_token']! });
    expect(refreshed.json['scope']).not.toContain('admin');

    const only = await dashboardTokens('plain@example.test', PASSWORD, 'admin');
    expect(only.flow.url.searchParams.get('error')).toBe('invalid_scope');
    expect(only.flow.url.searchParams.get('state')).toBe(only.flow.state);
  });

  it.skipIf(skip)('the superadmin gets admin and sees everything; a project admin sees only their project', async () => {
    const superadmin = (await dashboardTokens('admin@example.com', ADMIN_PASSWORD, 'openid admin')).tokens!;
    expect(superadmin['scope']).toContain('admin');
    const all = await json(`${srv.url}/admin/api/v1/clients`, { headers: bearer(superadmin['access_token']!) });
    expect(all.status).toBe(200);
    const defaultClients = (all.json['clients'] as Array<{ client_id: string; project_id: string }>).map((c) => c.client_id);
    expect(defaultClients).toContain('demo-client');

    const own = JSON.parse((await dep.cli(['clients', 'create', '--project', project.id, '--name', 'Billing job', '--scope', 'admin', '--json'])).stdout);
    const pa = (await dashboardTokens('padmin@example.test', PASSWORD, 'openid admin')).tokens!;
    expect(pa['scope']).toContain('admin');
    const h = bearer(pa['access_token']!);
    const mine = await json(`${srv.url}/admin/api/v1/clients`, { headers: h });
    expect((mine.json['clients'] as Array<{ client_id: string }>).map((c) => c.client_id)).toEqual([own.client_id]);
    const other = await json(`${srv.url}/admin/api/v1/clients/demo-client`, { headers: h });
    expect(other.status).toBe(403);
    expect(other.json).toEqual({ error: 'client_in_other_project', error_description: 'oauth client belongs to another project' });
    expect((await json(`${srv.url}/admin/api/v1/users`, { headers: h })).json['error']).toBe('insufficient_permissions');
    const created = await json(`${srv.url}/admin/api/v1/clients`, { method: 'POST', headers: h, body: JSON.stringify({ client_name: 'Made by project admin', grant_types: ['client_credentials'] }) });
    expect(created.status).toBe(201);
    expect(created.json['project_id']).toBe(project.id);
    const elsewhere = await json(`${srv.url}/admin/api/v1/clients`, { method: 'POST', headers: h, body: JSON.stringify({ project_id: (await defaultProjectId()), grant_types: ['client_credentials'] }) });
    expect(elsewhere.status).toBe(403);

    // Operator automation: a client_credentials client holding admin acts in its own project only.
    const cc = await postForm(`${srv.url}/oauth/token`, { grant_type: 'client_credentials', scope: 'admin' }, { authorization: basic(own.client_id, own.client_secret) });
    const ch = bearer(cc.json['access_token'] as string);
    expect((await json(`${srv.url}/admin/api/v1/clients/${own.client_id}`, { headers: ch })).status).toBe(200);
    expect((await json(`${srv.url}/admin/api/v1/clients/demo-client`, { headers: ch })).status).toBe(403);

    // Removing the role takes effect on the next request, whatever the unexpired token says.
    expect((await dep.cli(['members', 'set-role', '--project', project.id, '--user', 'padmin@example.test', '--role', 'member'])).code).toBe(0);
    const after = await json(`${srv.url}/admin/api/v1/clients`, { headers: h });
    expect(after.status).toBe(403);
    expect(after.json['error']).toBe('insufficient_permissions');
    expect((await dep.cli(['members', 'set-role', '--project', project.id, '--user', 'padmin@example.test', '--role', 'admin'])).code).toBe(0);
  });

  const defaultProjectId = async () => {
    const list = JSON.parse((await dep.cli(['projects', 'list', '--json'])).stdout) as Array<{ id: string; slug: string }>;
    return list.find((p) => p.slug === 'default')!.id;
  };

  it.skipIf(skip)('project and member rules give the same stable errors through the CLI and the admin API', async () => {
    const superadmin = (await dashboardTokens('admin@example.com', ADMIN_PASSWORD, 'openid admin')).tokens!;
    const h = bearer(superadmin['access_token']!);
    const api = (method: string, path: string, body?: unknown) =>
      json(`${srv.url}/admin/api/v1${path}`, { method, headers: h, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const cliError = async (args: string[]) => {
      const r = await dep.cli(args);
      expect(r.code).not.toBe(0);
      return r.stderr;
    };
    const p = (await api('POST', '/projects', { name: 'Rules' })).json as { id: string };
    expect(p.id).toBeTruthy();
    expect((await api('POST', '/projects', { name: 'Rules' })).status).toBe(409);

    expect(await api('POST', `/projects/${p.id}/members`, { email: 'plain@example.test', role: 'member' })).toMatchObject({ status: 201 });
    const cases: Array<[string, string, unknown, number, string, string[]]> = [
      ['POST', `/projects/${p.id}/members`, { email: 'plain@example.test', role: 'member' }, 409, 'user is already a member of this project',
        ['members', 'add', '--project', p.id, '--user', 'plain@example.test']],
      ['POST', `/projects/${p.id}/members`, { email: 'padmin@example.test', role: 'boss' }, 400, 'invalid role specified',
        ['members', 'add', '--project', p.id, '--user', 'padmin@example.test', '--role', 'boss']],
      ['POST', `/projects/${p.id}/members`, { email: 'padmin@example.test', role: 'owner' }, 403, 'owner role is reserved for superadmin',
        ['members', 'add', '--project', p.id, '--user', 'padmin@example.test', '--role', 'owner']],
      ['DELETE', `/projects/${p.id}/members/${projectAdmin.id}`, undefined, 404, 'project member not found',
        ['members', 'remove', '--project', p.id, '--user', 'padmin@example.test']],
      ['DELETE', `/projects/${p.id}/members/${(await superadminId())}`, undefined, 409, 'cannot remove the last owner from project',
        ['members', 'remove', '--project', p.id, '--user', 'admin@example.com']],
      ['DELETE', `/clients/${DASHBOARD}`, undefined, 409, 'default dashboard client cannot be deleted', ['clients', 'delete', DASHBOARD]],
    ];
    for (const [method, path, body, status, message, cli] of cases) {
      const r = await api(method, path, body);
      expect(r.status, `${method} ${path}`).toBe(status);
      expect(r.json['error_description']).toBe(message);
      expect(await cliError(cli)).toContain(message);
    }
    // A plain member of the project has no admin power in it.
    const pm = (await dashboardTokens('plain@example.test', PASSWORD, 'openid admin')).tokens!;
    expect(pm['scope']).not.toContain('admin');
    // Deleting the project drops its clients with it.
    const inside = await api('POST', '/clients', { project_id: p.id, grant_types: ['client_credentials'] });
    expect(inside.status).toBe(201);
    expect((await api('DELETE', `/projects/${p.id}`)).status).toBe(204);
    expect((await api('GET', `/clients/${inside.json['client_id']}`)).status).toBe(404);
    expect((await api('GET', `/projects/${p.id}`)).json['error']).toBe('project_not_found');
    // Every change above is in the audit log, with the admin API's caller as the actor.
    const events = JSON.parse((await dep.cli(['audit', 'list', '--limit', '200', '--json'])).stdout) as { events?: unknown[] } | unknown[];
    const list = (Array.isArray(events) ? events : events.events ?? []) as Array<{ action: string; actor_id?: string; actor?: { id: string }; project_id?: string }>;
    const actions = list.map((e) => e.action);
    for (const action of ['project.created', 'member.added', 'project.deleted', 'client.created']) expect(actions).toContain(action);
    expect(JSON.stringify(list)).not.toContain(superadmin['access_token']!);
  });

  const superadminId = async () => {
    const users = JSON.parse((await dep.cli(['users', 'list', '--json'])).stdout) as Array<{ id: string; email: string }>;
    return users.find((u) => u.email === 'admin@example.com')!.id;
  };

  it.skipIf(skip)('scope registry: self-registered clients get the policy; refresh_token without scope gets offline_access', async () => {
    const refused = await json(`${srv.url}/oauth/register`, {
      method: 'POST',
      headers: bearer('test-initial-access-token-0123456789'),
      body: JSON.stringify({ redirect_uris: ['https://app.example.test/cb'], scope: 'openid billing:admin' }),
    });
    expect(refused.status).toBe(400);
    expect(refused.json['error']).toBe('invalid_client_metadata');
    expect(refused.json['error_description']).toContain('billing:admin');

    const reg = await json(`${srv.url}/oauth/register`, {
      method: 'POST',
      headers: bearer('test-initial-access-token-0123456789'),
      body: JSON.stringify({
        redirect_uris: ['http://127.0.0.1:8765/cb'],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
      }),
    });
    expect(reg.status).toBe(201);
    expect((reg.json['scope'] as string).split(' ')).toContain('offline_access');
    const browser = new Browser(srv.url);
    const flow = await authorizeFlow(browser, { clientId: reg.json['client_id'] as string, redirectUri: 'http://127.0.0.1:8765/cb', scope: 'openid offline_access', email: 'plain@example.test', password: PASSWORD });
    const tok = await postForm(`${srv.url}/oauth/token`, {
      grant_type: 'authorization_code', client_id: reg.json['client_id'] as string, code: flow.code!, code_verifier: flow.verifier, redirect_uri: 'http://127.0.0.1:8765/cb',
    });
    expect(tok.status).toBe(200);
    expect(tok.json['refresh_token']).toBeTruthy();
    expect(tok.json['scope']).toContain('offline_access');

    // Operators register custom scopes per project; a client can hold only registered ones.
    expect((await dep.cli(['clients', 'create', '--project', project.id, '--scope', 'invoices:read'])).stderr).toContain('invoices:read is not a registered scope');
    expect((await dep.cli(['scopes', 'create', '--project', project.id, '--name', 'invoices:read', '--description', 'Read your invoices'])).code).toBe(0);
    expect((await dep.cli(['clients', 'create', '--project', project.id, '--scope', 'invoices:read'])).code).toBe(0);
  });

  it.skipIf(skip)('CORS follows the client a request is for, never the union of all clients', async () => {
    const make = async (origin: string) =>
      JSON.parse((await dep.cli(['clients', 'create', '--grant', 'client_credentials', '--origin', origin, '--scope', 'api:read', '--json'])).stdout) as { client_id: string; client_secret: string };
    const a = await make('https://a.example.test');
    const b = await make('https://b.example.test');
    const token = (client: { client_id: string; client_secret: string }, origin: string) =>
      postForm(`${srv.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(client.client_id, client.client_secret), origin });
    const own = await token(b, 'https://b.example.test');
    expect(own.status).toBe(200);
    expect(own.headers.get('access-control-allow-origin')).toBe('https://b.example.test');
    const foreign = await token(b, 'https://a.example.test');
    expect(foreign.status).toBe(200);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    expect((await token(a, 'https://a.example.test')).headers.get('access-control-allow-origin')).toBe('https://a.example.test');
  });

  it.skipIf(skip)('disabling, a new password or removing a membership ends sessions, grants and refresh tokens', async () => {
    const REDIRECT = 'http://localhost:8080/callback';
    const app = JSON.parse(
      (await dep.cli(['clients', 'create', '--redirect-uri', REDIRECT, '--grant', 'authorization_code', '--grant', 'refresh_token', '--scope', 'openid offline_access', '--skip-consent', '--json'])).stdout,
    );
    const auth = { authorization: basic(app.client_id, app.client_secret) };
    // A confidential client may introspect the tokens issued to it (RFC 7662 §2.1).
    const introspect = async (token: string) => (await postForm(`${srv.url}/oauth/introspect`, { token }, auth)).json['active'];
    const signedIn = async () => {
      const browser = new Browser(srv.url);
      const flow = await authorizeFlow(browser, { clientId: app.client_id, redirectUri: REDIRECT, scope: 'openid offline_access', email: 'padmin@example.test', password: PASSWORD });
      const tokens = (await postForm(`${srv.url}/oauth/token`, { grant_type: 'authorization_code', code: flow.code!, code_verifier: flow.verifier, redirect_uri: REDIRECT }, auth)).json as Record<string, string>;
      expect(await introspect(tokens['access_token']!)).toBe(true);
      expect(await introspect(tokens['refresh_token']!)).toBe(true);
      return { browser, tokens };
    };
    const expectCutOff = async ({ tokens, browser }: Awaited<ReturnType<typeof signedIn>>) => {
      expect(await introspect(tokens['access_token']!)).toBe(false);
      expect(await introspect(tokens['refresh_token']!)).toBe(false);
      expect((await json(`${srv.url}/oauth/userinfo`, { headers: bearer(tokens['access_token']!) })).status).toBe(401);
      const refresh = await postForm(`${srv.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: tokens['refresh_token']! }, auth);
      expect(refresh.json['error']).toBe('invalid_grant');
      // The browser session is gone: a silent authorization needs a login.
      const silent = await authorizeFlow(browser, { clientId: app.client_id, redirectUri: REDIRECT, scope: 'openid', extra: { prompt: 'none' } });
      expect(silent.url.searchParams.get('error')).toBe('login_required');
    };

    const first = await signedIn();
    expect((await dep.cli(['users', 'disable', 'padmin@example.test'])).code).toBe(0);
    await expectCutOff(first);
    expect((await dep.cli(['users', 'enable', 'padmin@example.test'])).code).toBe(0);

    const second = await signedIn();
    expect((await dep.cli(['users', 'set-password', 'padmin@example.test', '--password', PASSWORD])).code).toBe(0);
    await expectCutOff(second);

    const third = await signedIn();
    expect((await dep.cli(['members', 'remove', '--project', project.id, '--user', 'padmin@example.test'])).code).toBe(0);
    await expectCutOff(third);
  });
});
