/**
 * Issue 14, the interaction pages, mirroring OpenID Foundation conformance-suite modules (OP Basic plan:
 * oidcc-prompt-login, oidcc-prompt-none-not-logged-in, oidcc-prompt-none-logged-in) and the new pages:
 * Cancel on every interaction page (access_denied with state and iss in the requested response mode), the
 * account chooser of prompt=select_account with several sessions in one browser, and prompt=create sign-up
 * on and off. Real `gatehouse serve`, real HTTP, Chromium (playwright-core) for the pages, both dialects.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser as Chromium } from 'playwright-core';
import { decodeJwt } from 'jose';
import { ADMIN_PASSWORD, createDeployment, DEMO_SECRET, DIALECTS, freePort, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { basic, postForm } from '../helpers/http.js';
import { Browser, authorizeFlow, forms, pkce } from '../helpers/flow.js';
import { rememberSecret } from '../helpers/log-scan.js';

const pg = await postgresAvailable();
const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const REDIRECT = 'http://localhost:8080/callback';
const AUTH = basic('demo-client', DEMO_SECRET);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What the client's redirect URI received: the query or the form_post body. */
interface Received {
  method: string;
  params: URLSearchParams;
}

describe.each(DIALECTS)('interaction pages (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let srv: ServerProcess;
  /** The same setup with signup.enabled. */
  let signupDep: Deployment;
  let signupSrv: ServerProcess;
  /** Sign-up on, with a low per-address limit of the login throttle. */
  let limitedDep: Deployment;
  let limitedSrv: ServerProcess;
  let bob: { id: string; password: string };
  let adminId: string;
  let receiver: Server;
  let origin: string;
  let webClientId: string;
  const received: Received[] = [];
  let chrome: Chromium | undefined;

  beforeAll(async () => {
    if (skip) return;
    dep = await createDeployment(dialect);
    srv = await dep.serve();
    signupDep = await createDeployment(dialect, { signup: { enabled: true } });
    signupSrv = await signupDep.serve();
    limitedDep = await createDeployment(dialect, { signup: { enabled: true }, auth: { loginRateLimit: { perIp: 3 } } });
    limitedSrv = await limitedDep.serve();
    bob = JSON.parse((await dep.cli(['users', 'create', '--email', 'bob@example.com', '--given-name', 'Bob', '--family-name', 'Builder', '--json'])).stdout);
    rememberSecret(bob.password);
    adminId = (JSON.parse((await dep.cli(['users', 'list', '--json'])).stdout) as Array<{ id: string; email: string }>).find((u) => u.email === 'admin@example.com')!.id;
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', origin);
        if (url.pathname === '/cb') received.push({ method: req.method ?? '', params: req.method === 'POST' ? new URLSearchParams(body) : url.searchParams });
        res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>client</title><h1>client callback</h1>');
      });
    });
    await new Promise<void>((r) => receiver.listen(port, '127.0.0.1', r));
    const created = JSON.parse(
      (await dep.cli(['clients', 'create', '--name', 'Acme Web', '--redirect-uri', `${origin}/cb`, '--grant', 'authorization_code', '--scope', 'openid profile email', '--json'])).stdout,
    );
    webClientId = created.client_id;
    if (hasChromium) {
      chrome = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
    }
  }, 90_000);
  afterAll(async () => {
    await chrome?.close();
    receiver?.close();
    await dep?.cleanup();
    await signupDep?.cleanup();
    await limitedDep?.cleanup();
  });

  const authorizeUrl = (extra: Record<string, string>, clientId = 'demo-client', redirectUri = REDIRECT) => {
    const { challenge } = pkce();
    const q = new URLSearchParams({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: redirectUri,
      scope: 'openid profile email',
      state: 'st-' + Math.random().toString(36).slice(2),
      nonce: 'n-1',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      ...extra,
    });
    return { url: `/oauth/authorize?${q}`, state: q.get('state')! };
  };
  const expectDenied = (params: URLSearchParams, state: string) => {
    expect(params.get('error')).toBe('access_denied');
    expect(params.get('error_description')).toBeTruthy();
    expect(params.get('state')).toBe(state);
    expect(params.get('iss')).toBe(dep.issuer);
    expect(params.get('code')).toBeNull();
  };
  /** Signs the browser in as `email` (prompt=login adds the account to the browser's sessions). */
  const signIn = async (b: Browser, email: string, password: string, extra: Record<string, string> = {}) => {
    const flow = await authorizeFlow(b, { clientId: 'demo-client', redirectUri: REDIRECT, email, password, scope: 'openid profile email', extra });
    const res = await postForm(`${srv.url}/oauth/token`, { grant_type: 'authorization_code', code: flow.code!, code_verifier: flow.verifier, redirect_uri: REDIRECT }, { authorization: AUTH });
    expect(res.status).toBe(200);
    return decodeJwt(res.json['id_token'] as string);
  };
  /** Follows an authorization to its redirect (allowing consent when asked) and redeems the code. */
  const redeemFrom = async (b: Browser, res: Response, verifier: string) => {
    if (res.status === 200) res = await b.submit(await res.text());
    expect(res.status).toBe(303);
    const location = new URL(res.headers.get('location')!);
    const code = location.searchParams.get('code')!;
    rememberSecret(code);
    const t = await postForm(`${srv.url}/oauth/token`, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT }, { authorization: AUTH });
    expect(t.status).toBe(200);
    return decodeJwt(t.json['id_token'] as string);
  };

  describe('Cancel', () => {
    it.skipIf(skip)('oidcc-interaction-cancel-login (query): Cancel on the login page returns access_denied with state and iss', async () => {
      const b = new Browser(srv.url);
      const { url, state } = authorizeUrl({});
      const page = await (await b.get(url)).text();
      const cancel = forms(page).find((f) => f.action.endsWith('/cancel'));
      expect(cancel).toBeDefined();
      expect(page).toMatch(/<button[^>]*type="submit"[^>]*>Cancel<\/button>/);
      const res = await b.post(cancel!.action, cancel!.fields);
      expect(res.status).toBe(303);
      const location = new URL(res.headers.get('location')!);
      expect(location.origin + location.pathname).toBe(REDIRECT);
      expectDenied(location.searchParams, state);
      // The interaction is over: its cookie is gone and a second Cancel or a login is an error page.
      const again = await b.post(cancel!.action, cancel!.fields);
      expect(again.status).toBe(400);
      expect(again.headers.get('content-type')).toMatch(/text\/html/);
      expect(again.headers.get('location')).toBeNull();
    });

    it.skipIf(skip)('oidcc-interaction-cancel-login (fragment): access_denied in the fragment', async () => {
      const b = new Browser(srv.url);
      const { url, state } = authorizeUrl({ response_mode: 'fragment' });
      const res = await b.submit(await (await b.get(url)).text(), {}, 1);
      expect(res.status).toBe(303);
      const location = new URL(res.headers.get('location')!);
      expect(location.search).toBe('');
      expectDenied(new URLSearchParams(location.hash.slice(1)), state);
    });

    it.skipIf(skip)('oidcc-interaction-cancel-login (form_post): access_denied posted to the redirect URI', async () => {
      const b = new Browser(srv.url);
      const { url, state } = authorizeUrl({ response_mode: 'form_post' });
      const res = await b.submit(await (await b.get(url)).text(), {}, 1);
      expect(res.status).toBe(200);
      const [post] = forms(await res.text());
      expect(post!.action).toBe(REDIRECT);
      expectDenied(new URLSearchParams(post!.fields), state);
    });

    it.skipIf(skip)('oidcc-interaction-cancel-csrf: Cancel without the CSRF token, or cross-site, is an error page, never a redirect', async () => {
      const b = new Browser(srv.url);
      const { url } = authorizeUrl({});
      const cancel = forms(await (await b.get(url)).text())[1]!;
      for (const res of [
        await b.post(cancel.action, { csrf: 'wrong' }),
        await b.post(cancel.action, cancel.fields, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }),
        await new Browser(srv.url).post(cancel.action, cancel.fields),
      ]) {
        expect(res.status).toBe(400);
        expect(res.headers.get('location')).toBeNull();
        expect(await res.text()).not.toMatch(/stack|at \w+ \(/);
      }
    });

    it.skipIf(skip || !hasChromium)('oidcc-interaction-cancel-login (Chromium, form_post and query): the Cancel button, by mouse and by keyboard', async () => {
      const page = await chrome!.newPage();
      try {
        // form_post, clicked.
        let { url, state } = authorizeUrl({ response_mode: 'form_post' }, webClientId, `${origin}/cb`);
        received.length = 0;
        await page.goto(srv.url + url);
        await page.getByRole('heading', { name: 'Sign in' }).waitFor();
        await page.getByRole('button', { name: /Cancel/ }).click();
        await page.waitForURL(`${origin}/cb`);
        expect(received.at(-1)!.method).toBe('POST');
        expectDenied(received.at(-1)!.params, state);
        // query, reached with Tab from the password field and pressed with Enter.
        ({ url, state } = authorizeUrl({}, webClientId, `${origin}/cb`));
        await page.goto(srv.url + url);
        await page.getByLabel('Password').focus();
        await page.keyboard.press('Tab'); // Sign in
        await page.keyboard.press('Tab'); // Cancel
        expect(await page.evaluate('document.activeElement.textContent')).toBe('Cancel');
        await page.keyboard.press('Enter');
        await page.waitForURL(`${origin}/cb?**`);
        expectDenied(new URL(page.url()).searchParams, state);
      } finally {
        await page.close();
      }
    }, 60_000);

    it.skipIf(skip)('oidcc-interaction-deny-consent: Deny on the consent page returns access_denied with state and iss', async () => {
      const b = new Browser(srv.url);
      const { url, state } = authorizeUrl({ prompt: 'consent' });
      let res = await b.submit(await (await b.get(url)).text(), { username: 'admin@example.com', password: ADMIN_PASSWORD });
      const consent = await res.text();
      expect(consent).toContain('Allow access?');
      res = await b.submit(consent, {}, 1);
      expectDenied(new URL(res.headers.get('location')!).searchParams, state);
    });
  });

  describe('prompt (OP Basic modules)', () => {
    it.skipIf(skip)('oidcc-prompt-none-not-logged-in: login_required with state and iss, no page', async () => {
      const { url, state } = authorizeUrl({ prompt: 'none' });
      const res = await new Browser(srv.url).get(url);
      expect(res.status).toBe(303);
      const params = new URL(res.headers.get('location')!).searchParams;
      expect(params.get('error')).toBe('login_required');
      expect(params.get('state')).toBe(state);
      expect(params.get('iss')).toBe(dep.issuer);
    });

    it.skipIf(skip)('oidcc-prompt-none-logged-in: a signed-in, consented browser gets a code without a page', async () => {
      const b = new Browser(srv.url);
      const first = await signIn(b, 'admin@example.com', ADMIN_PASSWORD);
      const { verifier, challenge } = pkce();
      const { url } = authorizeUrl({ prompt: 'none', code_challenge: challenge });
      const res = await b.get(url);
      expect(res.status).toBe(303);
      const second = await redeemFrom(b, res, verifier);
      expect(second.sub).toBe(first.sub);
      expect(second['auth_time']).toBe(first['auth_time']);
    });

    it.skipIf(skip)('oidcc-prompt-login: a signed-in browser is asked to log in again; auth_time moves on', async () => {
      const b = new Browser(srv.url);
      const first = await signIn(b, 'admin@example.com', ADMIN_PASSWORD);
      await sleep(1100);
      const { verifier, challenge } = pkce();
      const { url } = authorizeUrl({ prompt: 'login', code_challenge: challenge });
      const page = await (await b.get(url)).text();
      expect(page).toContain('name="password"');
      const second = await redeemFrom(b, await b.submit(page, { username: 'admin@example.com', password: ADMIN_PASSWORD }), verifier);
      expect(second.sub).toBe(first.sub);
      expect(second['auth_time'] as number).toBeGreaterThan(first['auth_time'] as number);
    });
  });

  describe('prompt=select_account', () => {
    /** The chooser's forms: one per account (by email), then "another", then Cancel. */
    const chooser = async (b: Browser, extra: Record<string, string> = {}) => {
      const { verifier, challenge } = pkce();
      const { url, state } = authorizeUrl({ prompt: 'select_account', code_challenge: challenge, ...extra });
      const res = await b.get(url);
      expect(res.status).toBe(200);
      const page = await res.text();
      return { page, verifier, state, forms: forms(page) };
    };

    it.skipIf(skip)('oidcc-prompt-select_account: two sessions in one browser, the chooser lists both and each choice signs in as that account', async () => {
      const b = new Browser(srv.url);
      const admin = await signIn(b, 'admin@example.com', ADMIN_PASSWORD);
      // Signing in as another account adds a session; the first one stays.
      const asBob = await signIn(b, 'bob@example.com', bob.password, { prompt: 'login' });
      expect(admin.sub).toBe(adminId);
      expect(asBob.sub).toBe(bob.id);
      expect(asBob['sid']).not.toBe(admin['sid']);

      let c = await chooser(b);
      expect(c.page).toContain('Choose an account');
      expect(c.page).toContain('admin@example.com');
      expect(c.page).toContain('bob@example.com');
      expect(c.page).toContain('Bob Builder');
      expect(c.page).toContain('Use another account');
      expect(c.forms.map((f) => f.fields['session'] ?? 'cancel').slice(-2)).toEqual(['another', 'cancel']);
      const pick = (email: string) => {
        const i = [...c.page.matchAll(/<li>[\s\S]*?<\/li>/g)].findIndex((m) => m[0].includes(email));
        return c.forms[i]!;
      };
      const chosenAdmin = await redeemFrom(b, await b.post(pick('admin@example.com').action, pick('admin@example.com').fields), c.verifier);
      expect(chosenAdmin.sub).toBe(adminId);
      expect(chosenAdmin['sid']).toBe(admin['sid']);
      c = await chooser(b);
      const chosenBob = await redeemFrom(b, await b.post(pick('bob@example.com').action, pick('bob@example.com').fields), c.verifier);
      expect(chosenBob.sub).toBe(bob.id);
      expect(chosenBob['sid']).toBe(asBob['sid']);

      // "Use another account" goes to the login page of the same interaction.
      c = await chooser(b);
      const another = await b.post(c.forms.at(-2)!.action, c.forms.at(-2)!.fields);
      expect(await another.text()).toContain('name="password"');

      // Cancel on the chooser.
      c = await chooser(b);
      const cancelled = await b.post(c.forms.at(-1)!.action, c.forms.at(-1)!.fields);
      expectDenied(new URL(cancelled.headers.get('location')!).searchParams, c.state);

      // A session id this browser does not hold is refused with an error page.
      c = await chooser(b);
      const forged = await b.post(c.forms[0]!.action, { ...c.forms[0]!.fields, session: 'not-a-session-of-this-browser' });
      expect(forged.status).toBe(400);
      expect(forged.headers.get('location')).toBeNull();
      // A held session posted to a login page's interaction (prompt=login) does not skip the login.
      const loginForm = forms(await (await b.get(authorizeUrl({ prompt: 'login' }).url)).text())[0]!;
      const skipped = await b.post(loginForm.action.replace(/login$/, 'select'), { csrf: loginForm.fields['csrf']!, session: c.forms[0]!.fields['session']! });
      expect(skipped.status).toBe(400);
      expect(skipped.headers.get('location')).toBeNull();

      // Logout ends only the current session (the last chosen: bob); the chooser then shows admin alone.
      const out = await b.get(`/oauth/logout?id_token_hint=${encodeURIComponent((await signInToken(b)) ?? '')}`);
      expect([200, 303]).toContain(out.status);
      c = await chooser(b);
      expect(c.page).toContain('admin@example.com');
      expect(c.page).not.toContain('bob@example.com');
    }, 60_000);

    /** An ID token of the browser's current session, through prompt=none. */
    const signInToken = async (b: Browser) => {
      const { verifier, challenge } = pkce();
      const res = await b.get(authorizeUrl({ prompt: 'none', code_challenge: challenge }).url);
      const code = new URL(res.headers.get('location')!).searchParams.get('code')!;
      rememberSecret(code);
      const t = await postForm(`${srv.url}/oauth/token`, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT }, { authorization: AUTH });
      const idToken = t.json['id_token'] as string;
      expect(decodeJwt(idToken).sub).toBe(bob.id);
      return idToken;
    };

    it.skipIf(skip)('oidcc-prompt-select_account-one-session: one session still shows the chooser (to allow another account)', async () => {
      const b = new Browser(srv.url);
      await signIn(b, 'admin@example.com', ADMIN_PASSWORD);
      const c = await chooser(b);
      expect(c.page).toContain('Choose an account');
      expect(c.forms.length).toBe(3);
      const res = await redeemFrom(b, await b.post(c.forms[0]!.action, c.forms[0]!.fields), c.verifier);
      expect(res.sub).toBe(adminId);
    });

    it.skipIf(skip)('oidcc-prompt-select_account-not-logged-in: without a session the login page is shown', async () => {
      const b = new Browser(srv.url);
      const res = await b.get(authorizeUrl({ prompt: 'select_account' }).url);
      expect(await res.text()).toContain('name="password"');
    });
  });

  describe('prompt=create', () => {
    const NEW_PASSWORD = 'a new password for carol 42';
    rememberSecret(NEW_PASSWORD);

    it.skipIf(skip)('oidcc-prompt-create-disabled: off by default, not advertised, and prompt=create is ignored (the login page)', async () => {
      const meta = (await (await fetch(`${srv.url}/.well-known/openid-configuration`)).json()) as { prompt_values_supported: string[] };
      expect(meta.prompt_values_supported).not.toContain('create');
      const res = await new Browser(srv.url).get(authorizeUrl({ prompt: 'create' }).url);
      expect(res.status).toBe(200);
      const page = await res.text();
      expect(page).toContain('name="password"');
      expect(page).not.toContain('Create an account');
      // The sign-up form post is refused when the switch is off.
      const b = new Browser(srv.url);
      const login = forms(await (await b.get(authorizeUrl({}).url)).text())[0]!;
      const signup = await b.post(login.action.replace(/login$/, 'signup'), { csrf: login.fields['csrf']!, email: 'x@example.com', name: 'X', password: NEW_PASSWORD });
      expect(signup.status).toBe(400);
      expect(signup.headers.get('location')).toBeNull();
    });

    it.skipIf(skip)('oidcc-prompt-create: sign-up page, a new account, then the authorization continues with that account', async () => {
      const meta = (await (await fetch(`${signupSrv.url}/.well-known/openid-configuration`)).json()) as { prompt_values_supported: string[] };
      expect(meta.prompt_values_supported).toContain('create');
      const b = new Browser(signupSrv.url);
      const { verifier, challenge } = pkce();
      const { url, state } = authorizeUrl({ prompt: 'create', code_challenge: challenge });
      const page = await (await b.get(url)).text();
      expect(page).toContain('Create an account');
      let res = await b.submit(page, { email: 'Carol@Example.com', name: 'Carol Jones', password: NEW_PASSWORD });
      const consent = await res.text();
      expect(consent).toContain('Allow access?');
      expect(consent).toContain('carol@example.com');
      res = await b.submit(consent);
      expect(res.status).toBe(303);
      const location = new URL(res.headers.get('location')!);
      expect(location.searchParams.get('state')).toBe(state);
      expect(location.searchParams.get('iss')).toBe(signupDep.issuer);
      const code = location.searchParams.get('code')!;
      rememberSecret(code);
      const t = await postForm(`${signupSrv.url}/oauth/token`, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT }, { authorization: AUTH });
      expect(t.status).toBe(200);
      const claims = decodeJwt(t.json['id_token'] as string);
      const info = (await (await fetch(`${signupSrv.url}/oauth/userinfo`, { headers: { authorization: `Bearer ${t.json['access_token'] as string}` } })).json()) as Record<string, unknown>;
      expect(info).toMatchObject({ sub: claims.sub, email: 'carol@example.com', name: 'Carol Jones', email_verified: false });
      const users = JSON.parse((await signupDep.cli(['users', 'list', '--json'])).stdout) as Array<{ id: string; email: string }>;
      expect(users.find((u) => u.email === 'carol@example.com')?.id).toBe(claims.sub);
      // The account signs in with its password like any other.
      const flow = await authorizeFlow(new Browser(signupSrv.url), { clientId: 'demo-client', redirectUri: REDIRECT, email: 'carol@example.com', password: NEW_PASSWORD });
      expect(flow.code).toBeTruthy();
    });

    it.skipIf(skip)('oidcc-prompt-create-existing: a taken email signs in with its own password, else one neutral refusal', async () => {
      const open = async () => {
        const b = new Browser(signupSrv.url);
        const { url } = authorizeUrl({ prompt: 'create' });
        return { b, page: await (await b.get(url)).text() };
      };
      let { b, page } = await open();
      const wrong = await b.submit(page, { email: 'admin@example.com', name: 'Mallory', password: 'not the admin password' });
      expect(wrong.status).toBe(400);
      const refusal = await wrong.text();
      expect(refusal).toContain('An account could not be created with these details');
      expect(refusal).not.toMatch(/already exists|admin@example\.com already/);
      ({ b, page } = await open());
      const weak = await b.submit(page, { email: 'dave@example.com', name: 'Dave', password: 'short' });
      expect(weak.status).toBe(400);
      expect(await weak.text()).toContain('at least 8 characters');
      ({ b, page } = await open());
      const right = await b.submit(page, { email: 'admin@example.com', name: 'Ada', password: ADMIN_PASSWORD });
      expect([200, 303]).toContain(right.status);
      if (right.status === 200) expect(await right.text()).toContain('Allow access?');
    });

    it.skipIf(skip)('oidcc-prompt-create-rate-limited: sign-ups are counted per address by the login throttle (429 with Retry-After)', async () => {
      const statuses: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 5; i++) {
        const b = new Browser(limitedSrv.url);
        const page = await (await b.get(authorizeUrl({ prompt: 'create' }).url)).text();
        last = await b.submit(page, { email: `user${i}@example.com`, name: `User ${i}`, password: NEW_PASSWORD });
        statuses.push(last.status);
      }
      expect(statuses.slice(0, 3).every((s) => s === 200 || s === 303)).toBe(true);
      expect(statuses.slice(3)).toEqual([429, 429]);
      expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await last!.text()).toContain('Too many attempts');
      const users = JSON.parse((await limitedDep.cli(['users', 'list', '--json'])).stdout) as Array<{ email: string }>;
      expect(users.map((u) => u.email)).not.toContain('user3@example.com');
    }, 60_000);

    it.skipIf(skip)('oidcc-prompt-create-cancel: Cancel and "I already have an account" on the sign-up page', async () => {
      const b = new Browser(signupSrv.url);
      const first = authorizeUrl({ prompt: 'create' });
      const state = first.state;
      let url = first.url;
      let f = forms(await (await b.get(url)).text());
      const cancelled = await b.post(f.at(-1)!.action, f.at(-1)!.fields);
      const params = new URL(cancelled.headers.get('location')!).searchParams;
      expect(params.get('error')).toBe('access_denied');
      expect(params.get('state')).toBe(state);
      expect(params.get('iss')).toBe(signupDep.issuer);
      ({ url } = authorizeUrl({ prompt: 'create' }));
      f = forms(await (await b.get(url)).text());
      const toLogin = await b.post(f[1]!.action, f[1]!.fields);
      expect(await toLogin.text()).toContain('name="password"');
      // Without the CSRF token: an error page, no account.
      ({ url } = authorizeUrl({ prompt: 'create' }));
      f = forms(await (await b.get(url)).text());
      const forged = await b.post(f[0]!.action, { email: 'eve@example.com', name: 'Eve', password: NEW_PASSWORD });
      expect(forged.status).toBe(400);
      const users = JSON.parse((await signupDep.cli(['users', 'list', '--json'])).stdout) as Array<{ email: string }>;
      expect(users.map((u) => u.email)).not.toContain('eve@example.com');
    });
  });
});
