/**
 * Issue 13: completing a sign-in (the consent decision, or a login that needs no consent) is one atomic unit:
 * one statement on PostgreSQL (storage/kysely/code.kysely.ts, issueWithSignIn), a transaction on SQLite.
 * Through `gatehouse serve` on both databases: after a flow everything it records is there (the session, the
 * widened consent, the code and its grant, the audit events); after a replayed decision or login, or for an
 * account disabled between its login and its consent, none of it is.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeployment, DEMO_SECRET, DIALECTS, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { basic, postForm } from '../helpers/http.js';
import { Browser, forms, pkce } from '../helpers/flow.js';

const pg = await postgresAvailable();
const REDIRECT = 'http://localhost:8080/callback';
const PASSWORD = 'completion-password-123';

type Event = { action: string; actor: { type: string; id: string | null }; detail: Record<string, unknown> | null };

describe.each(DIALECTS)('completing a sign-in (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let srv: ServerProcess;
  let admin: Record<string, string>;
  beforeAll(async () => {
    if (skip) return;
    dep = await createDeployment(dialect);
    srv = await dep.serve();
    const made = JSON.parse((await dep.cli(['clients', 'create', '--name', 'Operator', '--scope', 'admin', '--json'])).stdout) as { client_id: string; client_secret: string };
    const cc = await postForm(`${srv.url}/oauth/token`, { grant_type: 'client_credentials', scope: 'admin' }, { authorization: basic(made.client_id, made.client_secret) });
    admin = { authorization: `Bearer ${cc.json['access_token'] as string}` };
  });
  afterAll(async () => dep?.cleanup());

  const user = async (email: string) => (JSON.parse((await dep.cli(['users', 'create', '--email', email, '--password', PASSWORD, '--json'])).stdout) as { id: string }).id;
  const authorize = (b: Browser, p: Record<string, string>, clientId = 'demo-client') =>
    b.get(`/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, state: 's1', code_challenge: pkce().challenge, code_challenge_method: 'S256', ...p })}`);
  const events = async (actor: string, action: string) => {
    const r = await dep.cli(['audit', 'list', '--actor', actor, '--action', action, '--limit', '100', '--json']);
    expect(r.code, r.stderr).toBe(0);
    return (JSON.parse(r.stdout) as { events: Event[] }).events;
  };
  const consents = async (userId: string) => {
    const res = await fetch(`${srv.url}/admin/api/v1/users/${userId}/consents`, { headers: admin });
    expect(res.status).toBe(200);
    return ((await res.json()) as { consents: Array<{ client_id: string; scope: string }> }).consents;
  };
  const codeOf = (res: Response) => {
    expect(res.status).toBe(303);
    return new URL(res.headers.get('location')!).searchParams.get('code');
  };

  it.skipIf(skip)('an account disabled between its login and its consent gets no code, no session, no consent and no consent event', async () => {
    const email = 'disabled-midway@example.com';
    const id = await user(email);
    const b = new Browser(srv.url);
    const login = await b.submit(await (await authorize(b, { scope: 'openid profile', prompt: 'consent' })).text(), { username: email, password: PASSWORD });
    expect(login.status).toBe(200);
    const consentPage = await login.text();
    expect(forms(consentPage)[0]!.action).toContain('/consent');
    expect((await dep.cli(['users', 'disable', email])).code).toBe(0);
    const decided = await b.submit(consentPage, { decision: 'allow' });
    expect(decided.status).toBe(400);
    expect(decided.headers.get('location')).toBeNull();
    expect(decided.headers.getSetCookie().some((c) => c.startsWith('gh_session='))).toBe(false);
    expect(await decided.text()).toContain('This account is disabled.');
    expect((await dep.cli(['users', 'enable', email])).code).toBe(0);
    expect(await consents(id)).toEqual([]);
    expect(await events(id, 'consent.granted')).toEqual([]);
    // Enabled again, a fresh flow completes.
    const fresh = new Browser(srv.url);
    const again = await fresh.submit(await (await authorize(fresh, { scope: 'openid profile', prompt: 'consent' })).text(), { username: email, password: PASSWORD });
    expect(codeOf(await fresh.submit(await again.text(), { decision: 'allow' }))).toBeTruthy();
    expect(await consents(id)).toEqual([expect.objectContaining({ client_id: 'demo-client', scope: 'openid profile' })]);
  });

  it.skipIf(skip)('a completion stores the session, widens the consent and records its events; a replayed decision stores none of them', async () => {
    const email = 'widening@example.com';
    const id = await user(email);
    const b = new Browser(srv.url);
    // A login in the interaction, then consent: the new session is written with the grant and the code.
    const login = await b.submit(await (await authorize(b, { scope: 'openid profile', prompt: 'consent' })).text(), { username: email, password: PASSWORD });
    expect(codeOf(await b.submit(await login.text(), { decision: 'allow' }))).toBeTruthy();
    const firstSession = b.jar.header(`${srv.url}/oauth/authorize`);
    // The browser's session consents to more: no new session, the consent widened in order.
    const { verifier, challenge } = pkce();
    const page = await (await authorize(b, { scope: 'openid email', prompt: 'consent', code_challenge: challenge })).text();
    const form = forms(page)[0]!;
    const cookies = b.jar.header(new URL(form.action, srv.url).href);
    const post = () =>
      fetch(new URL(form.action, srv.url), {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookies },
        body: new URLSearchParams({ ...form.fields, decision: 'allow' }).toString(),
      });
    const code = codeOf(await post());
    const replay = await post();
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('already completed');
    expect(await consents(id)).toEqual([expect.objectContaining({ client_id: 'demo-client', scope: 'openid profile email' })]);
    const granted = await events(id, 'consent.granted');
    expect(granted.map((e) => e.detail)).toEqual([{ scope: ['openid', 'email'] }, { scope: ['openid', 'profile'] }]);
    expect(granted.every((e) => e.actor.id === id)).toBe(true);
    // The code and its grant were written: the code is redeemed once.
    const redeem = () => postForm(`${srv.url}/oauth/token`, { grant_type: 'authorization_code', code: code!, code_verifier: verifier, redirect_uri: REDIRECT }, { authorization: basic('demo-client', DEMO_SECRET) });
    expect((await redeem()).json['access_token']).toBeTruthy();
    expect((await redeem()).json['error']).toBe('invalid_grant');
    // The session was stored: a silent request within the consent gets a code.
    expect(codeOf(await authorize(b, { scope: 'openid profile email', prompt: 'none' }))).toBeTruthy();
    // Signing in again as the same account replaces that session, in the same unit as the new one.
    const relogin = await b.submit(await (await authorize(b, { scope: 'openid', prompt: 'login consent' })).text(), { username: email, password: PASSWORD });
    expect(codeOf(await b.submit(await relogin.text(), { decision: 'allow' }))).toBeTruthy();
    const old = await fetch(`${srv.url}/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: 'demo-client', redirect_uri: REDIRECT, scope: 'openid', state: 's1', prompt: 'none', code_challenge: pkce().challenge, code_challenge_method: 'S256' })}`, { redirect: 'manual', headers: { cookie: firstSession } });
    expect(new URL(old.headers.get('location')!).searchParams.get('error')).toBe('login_required');
    expect(codeOf(await authorize(b, { scope: 'openid', prompt: 'none' }))).toBeTruthy();
  });

  it.skipIf(skip)('a login that needs no consent completes with its sign-in event; the same login posted again writes nothing', async () => {
    const email = 'no-consent@example.com';
    const id = await user(email);
    const app = JSON.parse((await dep.cli(['clients', 'create', '--redirect-uri', REDIRECT, '--grant', 'authorization_code', '--scope', 'openid', '--skip-consent', '--json'])).stdout) as { client_id: string };
    const b = new Browser(srv.url);
    const page = await (await authorize(b, { scope: 'openid' }, app.client_id)).text();
    const form = forms(page)[0]!;
    const cookies = b.jar.header(new URL(form.action, srv.url).href);
    const post = () =>
      fetch(new URL(form.action, srv.url), {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookies },
        body: new URLSearchParams({ ...form.fields, username: email, password: PASSWORD }).toString(),
      });
    const first = await post();
    expect(codeOf(first)).toBeTruthy();
    expect(first.headers.getSetCookie().some((c) => c.startsWith('gh_session='))).toBe(true);
    const replay = await post();
    expect(replay.status).toBe(400);
    expect(replay.headers.getSetCookie().some((c) => c.startsWith('gh_session='))).toBe(false);
    const signIns = await events(id, 'signin.success');
    expect(signIns.map((e) => e.detail)).toEqual([{ client_id: app.client_id }]);
    expect(await consents(id)).toEqual([]);
  });
});
