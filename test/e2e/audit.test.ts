/**
 * Issue 9, item 7: the audit log through the production path. A `gatehouse serve` on each database takes failed
 * and successful sign-ins, a consent, a refresh-token reuse and admin API writes; the CLI makes a client, a user
 * and a key rotation. `gatehouse audit list` and `GET /admin/api/v1/audit` then show each with its actor, IP and
 * request id, page through with a cursor, never show a secret, and `gatehouse cleanup` applies the retention.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, createDeployment, DEMO_SECRET, DIALECTS, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { basic, json, postForm } from '../helpers/http.js';
import { Browser, authorizeFlow, forms, pkce } from '../helpers/flow.js';

const pg = await postgresAvailable();
const REDIRECT = 'http://localhost:8080/callback';
const UA = 'audit-e2e/1.0';
const WRONG_PASSWORD = 'wrong-password-never-logged-7f3a';
const UNKNOWN_EMAIL = 'nobody-typed-this@example.net';
const RETENTION = 5;

type Event = {
  id: string;
  at: number;
  action: string;
  outcome: string;
  actor: { type: string; id: string | null };
  target: { type: string; id: string | null } | null;
  request_id: string | null;
  ip: string | null;
  user_agent: string | null;
  detail: Record<string, unknown> | null;
};

describe.each(DIALECTS)('audit log (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let srv: ServerProcess;
  beforeAll(async () => {
    if (skip) return;
    dep = await createDeployment(dialect, { audit: { retention: RETENTION }, auth: { loginRateLimit: { perAccount: 3 } } });
    srv = await dep.serve();
  });
  afterAll(async () => dep?.cleanup());

  const secrets: string[] = [DEMO_SECRET, ADMIN_PASSWORD, WRONG_PASSWORD, UNKNOWN_EMAIL];
  let adminAuth: Record<string, string>;
  let adminClientId: string;

  /** A login form post of a fresh interaction, with our own request id and user agent. */
  const failedLogin = async (username: string, requestId: string) => {
    const b = new Browser(srv.url);
    const { challenge } = pkce();
    const q = new URLSearchParams({ response_type: 'code', client_id: 'demo-client', redirect_uri: REDIRECT, scope: 'openid', state: 's1', code_challenge: challenge, code_challenge_method: 'S256' });
    const form = forms(await (await b.get(`/oauth/authorize?${q}`)).text())[0]!;
    const res = await b.post(form.action, { ...form.fields, username, password: WRONG_PASSWORD }, { 'x-request-id': requestId, 'user-agent': UA });
    expect(res.status).toBe(401);
  };
  const listCli = async (...args: string[]) => {
    const r = await dep.cli(['audit', 'list', '--json', ...args]);
    expect(r.code, r.stderr).toBe(0);
    return { raw: r.stdout, page: JSON.parse(r.stdout) as { events: Event[]; next_cursor: string | null } };
  };
  const listApi = async (query: string) => {
    const res = await fetch(`${srv.url}/admin/api/v1/audit?${query}`, { headers: adminAuth });
    const raw = await res.text();
    return { status: res.status, raw, page: JSON.parse(raw) as { events: Event[]; next_cursor: string | null } };
  };

  it.skipIf(skip)('records sign-ins, consent, refresh reuse, client, user and key changes with actor, IP and request id', async () => {
    await failedLogin('admin@example.com', 'e2e-fail-known');
    await failedLogin(UNKNOWN_EMAIL, 'e2e-fail-unknown');

    const flow = await authorizeFlow(new Browser(srv.url), { clientId: 'demo-client', redirectUri: REDIRECT });
    secrets.push(flow.code!, flow.verifier);
    const demo = { authorization: basic('demo-client', DEMO_SECRET) };
    const t0 = (await postForm(`${srv.url}/oauth/token`, { grant_type: 'authorization_code', code: flow.code!, code_verifier: flow.verifier, redirect_uri: REDIRECT }, demo)).json;
    const refresh = (rt: string, requestId: string) =>
      postForm(`${srv.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: rt }, { ...demo, 'x-request-id': requestId });
    const t1 = (await refresh(t0['refresh_token'] as string, 'e2e-refresh')).json;
    expect((await refresh(t0['refresh_token'] as string, 'e2e-reuse')).json['error']).toBe('invalid_grant');
    secrets.push(...[t0, t1].flatMap((t) => [t['access_token'], t['refresh_token'], t['id_token']] as string[]));
    const replay = await postForm(`${srv.url}/oauth/token`, { grant_type: 'authorization_code', code: flow.code!, code_verifier: flow.verifier, redirect_uri: REDIRECT }, demo);
    expect(replay.json['error']).toBe('invalid_grant');

    // The third failure for one account starts its lockout (auth.loginRateLimit.perAccount: 3).
    const locky = JSON.parse((await dep.cli(['users', 'create', '--email', 'locky@example.com', '--json'])).stdout) as { id: string; password: string };
    secrets.push(locky.password);
    for (const n of [1, 2, 3]) await failedLogin('locky@example.com', `e2e-locky-${n}`);

    const made = await dep.cli(['clients', 'create', '--name', 'Operator automation', '--scope', 'admin', '--json']);
    const adminClient = JSON.parse(made.stdout) as { client_id: string; client_secret: string };
    adminClientId = adminClient.client_id;
    secrets.push(adminClient.client_secret);
    const cc = await postForm(`${srv.url}/oauth/token`, { grant_type: 'client_credentials', scope: 'admin' }, { authorization: basic(adminClientId, adminClient.client_secret) });
    secrets.push(cc.json['access_token'] as string);
    adminAuth = { authorization: `Bearer ${cc.json['access_token'] as string}` };
    const viaApi = await json(`${srv.url}/admin/api/v1/clients`, {
      method: 'POST',
      headers: { ...adminAuth, 'x-request-id': 'e2e-admin-create', 'user-agent': UA },
      body: JSON.stringify({ client_name: 'Made by API', grant_types: ['client_credentials'] }),
    });
    expect(viaApi.status).toBe(201);
    secrets.push(viaApi.json['client_secret'] as string);

    const user = JSON.parse((await dep.cli(['users', 'create', '--email', 'eve@example.com', '--json'])).stdout) as { id: string; password: string };
    secrets.push(user.password);
    expect((await json(`${srv.url}/admin/api/v1/users/${user.id}`, { method: 'PATCH', headers: adminAuth, body: JSON.stringify({ disabled: true }) })).status).toBe(200);
    expect((await dep.cli(['keys', 'rotate', '--alg', 'RS256', '--force'])).code).toBe(0);

    const { raw, page } = await listCli('--limit', '1000');
    const events = page.events;
    const adminId = (JSON.parse((await dep.cli(['users', 'list', '--json'])).stdout) as Array<{ id: string; email: string }>).find((u) => u.email === 'admin@example.com')!.id;
    const one = (action: string, where: (e: Event) => boolean = () => true) => {
      const found = events.filter((e) => e.action === action && where(e));
      expect(found.length, action).toBe(1);
      return found[0]!;
    };
    expect(one('signin.failure', (e) => e.request_id === 'e2e-fail-known')).toMatchObject({
      outcome: 'failure', target: { type: 'user', id: adminId }, ip: '127.0.0.1', user_agent: UA,
    });
    // An email that is no account's is not stored: nothing identifies what was typed.
    expect(one('signin.failure', (e) => e.request_id === 'e2e-fail-unknown')).toMatchObject({ target: null, actor: { type: 'user', id: null } });
    expect(one('signin.success')).toMatchObject({ actor: { type: 'user', id: adminId }, ip: '127.0.0.1', detail: { client_id: 'demo-client' } });
    expect(one('consent.granted')).toMatchObject({ actor: { type: 'user', id: adminId }, target: { type: 'client', id: 'demo-client' } });
    expect(one('authorization_code.replay')).toMatchObject({ outcome: 'failure', actor: { type: 'client', id: 'demo-client' }, target: { type: 'grant' } });
    expect(events.filter((e) => e.action === 'signin.failure' && e.target?.id === locky.id).length).toBe(3);
    expect(one('signin.lockout')).toMatchObject({ outcome: 'failure', target: { type: 'user', id: locky.id }, request_id: 'e2e-locky-3' });
    expect(one('refresh_token.reuse_detected')).toMatchObject({ outcome: 'failure', actor: { type: 'client', id: 'demo-client' }, request_id: 'e2e-reuse' });
    expect(one('client.created', (e) => e.target?.id === adminClientId)).toMatchObject({ actor: { type: 'system', id: 'cli' }, ip: null });
    expect(one('client.created', (e) => e.target?.id === viaApi.json['client_id'])).toMatchObject({
      actor: { type: 'client', id: adminClientId }, request_id: 'e2e-admin-create', ip: '127.0.0.1', user_agent: UA,
    });
    expect(one('user.created', (e) => e.target?.id === user.id)).toMatchObject({ actor: { type: 'system', id: 'cli' } });
    expect(one('user.disabled')).toMatchObject({ actor: { type: 'client', id: adminClientId }, target: { type: 'user', id: user.id } });
    expect(one('key.rotated')).toMatchObject({ actor: { type: 'system', id: 'cli' }, detail: { alg: 'RS256' } });
    one('key.retired');
    // Newest first, ids in time order.
    expect(events.map((e) => e.id)).toEqual([...events.map((e) => e.id)].sort().reverse());

    const api = await listApi('limit=1000');
    expect(api.status).toBe(200);
    expect(api.page.events).toEqual(events);
    for (const s of secrets) {
      expect(raw.includes(s), `CLI output contains a secret`).toBe(false);
      expect(api.raw.includes(s), `API output contains a secret`).toBe(false);
    }
  });

  it.skipIf(skip)('filters and cursor pagination, on the CLI and the admin API', async () => {
    const all = (await listApi('limit=1000')).page.events;
    const ids: string[] = [];
    let cursor = '';
    for (let i = 0; i < 50; i++) {
      const { status, page } = await listApi(`limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(status).toBe(200);
      ids.push(...page.events.map((e) => e.id));
      if (!page.next_cursor) break;
      cursor = page.next_cursor;
    }
    expect(ids).toEqual(all.map((e) => e.id));
    const first = await listCli('--limit', '2');
    const second = await listCli('--limit', '2', '--cursor', first.page.next_cursor!);
    expect([...first.page.events, ...second.page.events].map((e) => e.id)).toEqual(all.slice(0, 4).map((e) => e.id));

    const signins = (await listApi('action=signin.*&limit=100')).page.events;
    expect(signins.map((e) => e.action).sort()).toEqual([...Array(5).fill('signin.failure'), 'signin.lockout', 'signin.success']);
    expect((await listCli('--actor', 'demo-client')).page.events.map((e) => e.action)).toEqual(['authorization_code.replay', 'refresh_token.reuse_detected']);
    expect((await listCli('--since', '1h', '--action', 'key.retired')).page.events.length).toBe(1);
    expect((await listApi(`since=${all[0]!.at + 1}`)).page.events).toEqual([]);

    for (const bad of ['cursor=nope', 'limit=0', 'limit=x', 'since=yesterday', 'action=DROP%20TABLE', 'actor=a&actor=b']) {
      const r = await listApi(bad);
      expect(r.status, bad).toBe(400);
      expect(JSON.parse(r.raw)).toMatchObject({ error: 'invalid_request' });
    }
    expect((await fetch(`${srv.url}/admin/api/v1/audit`)).status).toBe(401);
    expect((await dep.cli(['audit', 'list', '--limit', 'lots'])).code).toBe(1);
  });

  it.skipIf(skip)('gatehouse cleanup deletes events past audit.retention and keeps newer ones', async () => {
    const newest = (await listApi('limit=1')).page.events[0]!.at;
    await new Promise((r) => setTimeout(r, Math.max(0, (newest + RETENTION + 2) * 1000 - Date.now())));
    await failedLogin(UNKNOWN_EMAIL, 'e2e-after-retention');
    const r = await dep.cli(['cleanup', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { purged: number }).purged).toBeGreaterThan(10);
    const left = (await listCli()).page.events;
    expect(left.map((e) => e.request_id)).toEqual(['e2e-after-retention']);
  });
});
