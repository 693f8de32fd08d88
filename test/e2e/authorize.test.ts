import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeployment, DIALECTS, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { Browser, authorizeFlow, forms, pkce } from '../helpers/flow.js';

const pg = await postgresAvailable();
const REDIRECT = 'http://localhost:8080/callback';

describe.each(DIALECTS)('authorization endpoint, login and consent (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let srv: ServerProcess;
  beforeAll(async () => {
    if (skip) return;
    dep = await createDeployment(dialect, { auth: { loginRateLimit: { perAccountAndIp: 3, perIp: 50, window: '15m' } } });
    srv = await dep.serve();
    await dep.cli(['users', 'create', '--email', 'bob@example.com', '--password', 'bob-password-123', '--given-name', 'Bob']);
  });
  afterAll(async () => dep?.cleanup());

  const query = (p: Record<string, string>) => {
    const { challenge } = pkce();
    return `/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: 'demo-client', redirect_uri: REDIRECT, scope: 'openid', state: 's1', code_challenge: challenge, code_challenge_method: 'S256', ...p })}`;
  };
  const errorOf = (res: Response) => {
    const loc = new URL(res.headers.get('location')!);
    return { error: loc.searchParams.get('error'), state: loc.searchParams.get('state'), iss: loc.searchParams.get('iss'), origin: loc.origin };
  };

  it.skipIf(skip)('an unregistered redirect_uri or unknown client shows an error page and never redirects', async () => {
    const cases: Array<Record<string, string>> = [{ redirect_uri: 'https://evil.example.com/cb' }, { client_id: 'nobody' }, { redirect_uri: 'http://localhost:8080/callback/extra' }];
    for (const p of cases) {
      const res = await new Browser(srv.url).get(query(p));
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(await res.text()).toContain('Invalid request');
    }
  });

  it.skipIf(skip)('errors after the redirect URI is verified go to the client with state and iss', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ code_challenge: '' }, 'invalid_request'],
      [{ code_challenge_method: 'plain' }, 'invalid_request'],
      [{ code_challenge_method: '' }, 'invalid_request'],
      [{ response_type: 'token' }, 'unsupported_response_type'],
      [{ scope: 'openid admin' }, 'invalid_scope'],
      [{ prompt: 'none' }, 'login_required'],
      // An unsigned request object from a client not registered for `none` (request-object/request-object.ts).
      [{ request: 'eyJhbGciOiJub25lIn0.e30.' }, 'invalid_request_object'],
      [{ request_uri: 'urn:example:req' }, 'request_uri_not_supported'],
    ];
    for (const [p, error] of cases) {
      const res = await new Browser(srv.url).get(query(p));
      expect(res.status, JSON.stringify(p)).toBe(303);
      expect(errorOf(res), JSON.stringify(p)).toEqual({ error, state: 's1', iss: dep.issuer, origin: 'http://localhost:8080' });
    }
    // A request too large to keep in the interaction cookie is refused rather than lost by the browser.
    const huge = await new Browser(srv.url).get(query({ state: 'x'.repeat(4000) }));
    expect(huge.status).toBe(303);
    expect(new URL(huge.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
    // fragment and form_post carry the same parameters
    const frag = await new Browser(srv.url).get(query({ prompt: 'none', response_mode: 'fragment' }));
    expect(new URL(frag.headers.get('location')!).hash).toContain('error=login_required');
    const fp = await new Browser(srv.url).get(query({ prompt: 'none', response_mode: 'form_post' }));
    const page = await fp.text();
    expect(fp.headers.get('content-security-policy')).toMatch(/script-src 'sha256-/);
    expect(forms(page)[0]).toEqual({ action: REDIRECT, fields: { error: 'login_required', error_description: 'the user is not signed in', iss: dep.issuer, state: 's1' } });
  });

  it.skipIf(skip)('pages carry CSP, no-store, no-referrer; the session cookie is HttpOnly and SameSite', async () => {
    const b = new Browser(srv.url);
    const res = await b.get(query({}));
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('script-src');
    const page = await res.text();
    expect(page).toContain('autocomplete="username"');
    expect(page).toContain('<label for="password">');
    const login = await b.submit(page, { username: 'bob@example.com', password: 'bob-password-123' });
    const interactionCookie = login.headers.getSetCookie().find((c) => c.startsWith('gh_i_'))!;
    expect(interactionCookie).toMatch(/HttpOnly/i);
    expect(interactionCookie).toMatch(/SameSite=Lax/i);
    // consent page names the client and each scope
    const consent = await login.text();
    expect(consent).toContain('Demo confidential client');
    expect(consent).toContain('Allow');
    expect(consent).toContain('Deny');
    // The session of the login is stored when the interaction completes (even by a denial) and its cookie set then.
    const denied = await b.submit(consent, {}, 1);
    expect(errorOf(denied).error).toBe('access_denied');
    const cookie = denied.headers.getSetCookie().find((c) => c.startsWith('gh_session='))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
  });

  it.skipIf(skip)('a form without the CSRF token, or with the cookie missing, is refused', async () => {
    const b = new Browser(srv.url);
    const page = await (await b.get(query({}))).text();
    const form = forms(page)[0]!;
    const noToken = await b.post(form.action, { username: 'bob@example.com', password: 'bob-password-123' });
    expect(noToken.status).toBe(400);
    expect(noToken.headers.get('location')).toBeNull();
    const other = new Browser(srv.url); // no interaction cookie
    const noCookie = await other.post(form.action, { ...form.fields, username: 'bob@example.com', password: 'bob-password-123' });
    expect(noCookie.status).toBe(400);
    const crossSite = await b.post(form.action, { ...form.fields, username: 'bob@example.com', password: 'bob-password-123' }, { 'sec-fetch-site': 'cross-site' });
    expect(crossSite.status).toBe(400);
  });

  it.skipIf(skip)('a consent decision completes once: a replayed post, or a tampered interaction cookie, is refused', async () => {
    const b = new Browser(srv.url);
    const page = await (await b.get(query({ prompt: 'consent' }))).text();
    const consent = await (await b.submit(page, { username: 'bob@example.com', password: 'bob-password-123' })).text();
    const form = forms(consent)[0]!;
    const cookies = b.jar.header(new URL(form.action, srv.url).href);
    const post = (cookie: string) =>
      fetch(new URL(form.action, srv.url), {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
        body: new URLSearchParams({ ...form.fields, decision: 'allow' }).toString(),
      });
    const tampered = cookies.replace(/(gh_i_[\w-]+=v1\.[\w-]+\.)(\w)/, (_, head: string, c: string) => head + (c === 'A' ? 'B' : 'A'));
    expect(tampered).not.toBe(cookies);
    expect((await post(tampered)).status).toBe(400);
    const first = await post(cookies);
    expect(first.status).toBe(303);
    expect(new URL(first.headers.get('location')!).searchParams.get('code')).toBeTruthy();
    const replay = await post(cookies);
    expect(replay.status).toBe(400);
    expect(replay.headers.get('location')).toBeNull();
    expect(await replay.text()).toContain('already completed');
  });

  it.skipIf(skip)('unknown email and wrong password answer the same; repeated failures get 429 with Retry-After', async () => {
    const attempt = async (email: string, password: string) => {
      const b = new Browser(srv.url);
      const page = await (await b.get(query({}))).text();
      const res = await b.submit(page, { username: email, password });
      const body = (await res.text()).replace(/value="[\w-]{43}"/g, 'value="CSRF"').replace(/interaction\/[\w-]+\//g, 'interaction/ID/').replaceAll(email, 'EMAIL');
      return { status: res.status, body, retry: res.headers.get('retry-after') };
    };
    const unknown = await attempt('nobody@example.com', 'whatever-password');
    const wrong = await attempt('bob@example.com', 'wrong-password');
    expect(unknown.status).toBe(401);
    expect(wrong).toEqual(unknown);
    await attempt('bob@example.com', 'wrong-password');
    await attempt('bob@example.com', 'wrong-password');
    const limited = await attempt('bob@example.com', 'bob-password-123');
    expect(limited.status).toBe(429);
    expect(Number(limited.retry)).toBeGreaterThan(0);
  });

  it.skipIf(skip)('prompt=none with a session and consent returns a code; a new scope asks consent again; prompt=login forces login', async () => {
    const b = new Browser(srv.url);
    await authorizeFlow(b, { clientId: 'demo-client', redirectUri: REDIRECT, scope: 'openid' });
    const silent = await b.get(query({ prompt: 'none' }));
    expect(new URL(silent.headers.get('location')!).searchParams.get('code')).toBeTruthy();
    const more = await b.get(query({ prompt: 'none', scope: 'openid email' }));
    expect(errorOf(more).error).toBe('consent_required');
    const ask = await b.get(query({ scope: 'openid email' }));
    expect(await ask.text()).toContain('Allow access?');
    const login = await b.get(query({ prompt: 'login' }));
    expect(await login.text()).toContain('name="password"');
    await new Promise((r) => setTimeout(r, 1100));
    const maxAge = await b.get(query({ max_age: '0' }));
    expect(maxAge.status).toBe(200);
    expect(await maxAge.text()).toContain('name="password"');
  });
});
