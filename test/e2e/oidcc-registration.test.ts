/**
 * Issue 14, OpenID Connect Dynamic Client Registration 1.0 metadata and RFC 7591 §2.1 leniency, plus the
 * max_age / default_max_age semantics, named after the OpenID Foundation conformance-suite modules they
 * mirror. A real `gatehouse serve`, real HTTP registration, the consent page as served, openid-client to
 * redeem codes and check ID tokens.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { ADMIN_PASSWORD, createDeployment, DIALECTS, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { json, postForm } from '../helpers/http.js';
import { Browser, pkce } from '../helpers/flow.js';
import { SignJWT } from 'jose';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
/** A 1×1 PNG the intercepted logo URL answers with. */
const PIXEL = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

const pg = await postgresAvailable();
const REDIRECT = 'http://localhost:8080/callback';
const IAT = 'test-initial-access-token-0123456789';

describe.each(DIALECTS)('OIDC dynamic registration metadata (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let srv: ServerProcess;
  beforeAll(async () => {
    if (skip) return;
    dep = await createDeployment(dialect);
    srv = await dep.serve();
  }, 60_000);
  afterAll(async () => dep?.cleanup());

  const register = (body: unknown) => json(`${srv.url}/oauth/register`, { method: 'POST', body: JSON.stringify(body), headers: { authorization: `Bearer ${IAT}` } });
  const registered = async (body: Record<string, unknown>) => {
    const r = await register({ redirect_uris: [REDIRECT], scope: 'openid profile', ...body });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    return r.json as Record<string, unknown> & { client_id: string; client_secret: string };
  };
  const authorizeUrl = (clientId: string, extra: Record<string, string> = {}) => {
    const { verifier, challenge } = pkce();
    const q = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, scope: 'openid profile', state: 'st', nonce: 'n-1', code_challenge: challenge, code_challenge_method: 'S256', ...extra });
    return { url: `/oauth/authorize?${q}`, verifier };
  };
  const isLogin = (page: string) => page.includes('name="password"');
  /** Goes through whatever pages are shown; returns the callback URL and whether a login was asked. */
  const complete = async (browser: Browser, path: string) => {
    let res = await browser.get(path);
    let loggedIn = false;
    for (let i = 0; i < 2 && res.status === 200; i++) {
      const page = await res.text();
      if (isLogin(page)) loggedIn = true;
      res = isLogin(page) ? await browser.submit(page, { username: 'admin@example.com', password: ADMIN_PASSWORD }) : await browser.submit(page);
    }
    expect(res.status).toBe(303);
    return { callback: new URL(res.headers.get('location')!), loggedIn };
  };
  const idToken = async (c: { client_id: string; client_secret: string }, callback: URL, verifier: string, maxAge?: number) => {
    const cfg = await client.discovery(new URL(dep.issuer), c.client_id, undefined, client.ClientSecretBasic(c.client_secret), { execute: [client.allowInsecureRequests] });
    const tokens = await client.authorizationCodeGrant(cfg, callback, { pkceCodeVerifier: verifier, expectedState: 'st', expectedNonce: 'n-1', ...(maxAge !== undefined ? { maxAge } : {}) });
    return tokens.claims()!;
  };
  /** The consent page of a fresh browser, after the login. */
  const consentPage = async (clientId: string) => {
    const browser = new Browser(srv.url);
    const login = await browser.get(authorizeUrl(clientId).url);
    const res = await browser.submit(await login.text(), { username: 'admin@example.com', password: ADMIN_PASSWORD });
    expect(res.status).toBe(200);
    return { page: await res.text(), csp: res.headers.get('content-security-policy') ?? '' };
  };

  it.skipIf(skip)('oidcc-registration-logo-uri: the logo is shown on the consent page, and the CSP allows its origin only', async () => {
    const c = await registered({ client_name: 'Logo <App>', logo_uri: 'https://cdn.example.com/logo.png?a=1&b="2"' });
    expect(c['logo_uri']).toBe('https://cdn.example.com/logo.png?a=1&b="2"');
    const { page, csp } = await consentPage(c.client_id);
    expect(page).toContain('<img class="client-logo" src="https://cdn.example.com/logo.png?a=1&amp;b=&quot;2&quot;" alt="Logo &lt;App&gt; logo"');
    expect(csp).toContain("img-src 'self' data: https://cdn.example.com;");
    // The login page of another client shows no foreign image source.
    const browser = new Browser(srv.url);
    const login = await browser.get(authorizeUrl(c.client_id).url);
    expect(login.headers.get('content-security-policy')).toContain("img-src 'self' data:;");
  });

  it.skipIf(skip || dialect !== 'sqlite' || !existsSync(CHROMIUM))('oidcc-registration-logo-uri / -policy-uri / -tos-uri in Chromium: the logo loads under the CSP, the links are there', async () => {
    const c = await registered({ client_name: 'Pictured', logo_uri: 'https://cdn.example.com/pictured.png', policy_uri: 'https://app.example.com/privacy', tos_uri: 'https://app.example.com/terms' });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    try {
      const page = await browser.newPage();
      // The logo's host does not exist here: the browser's request is answered locally (the CSP still applies).
      await page.route('https://cdn.example.com/**', (route) => route.fulfill({ status: 200, contentType: 'image/png', body: PIXEL }));
      const violations: string[] = [];
      page.on('console', (m) => (m.text().includes('Content Security Policy') ? violations.push(m.text()) : undefined));
      await page.goto(`${srv.url}${authorizeUrl(c.client_id).url}`);
      await page.getByLabel('Email').fill('admin@example.com');
      await page.getByLabel('Password').fill(ADMIN_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Allow access?' }).waitFor();
      const logo = page.locator('img.client-logo');
      await expect.poll(() => logo.evaluate((el) => { const img = el as unknown as { complete: boolean; naturalWidth: number }; return img.complete && img.naturalWidth; })).toBe(1);
      expect(await page.getByRole('link', { name: 'Privacy policy' }).getAttribute('href')).toBe('https://app.example.com/privacy');
      expect(await page.getByRole('link', { name: 'Terms of service' }).getAttribute('rel')).toBe('noopener noreferrer');
      expect(violations).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);

  it.skipIf(skip)('oidcc-registration-policy-uri and oidcc-registration-tos-uri: links on the consent page, rel=noopener noreferrer', async () => {
    const c = await registered({ client_uri: 'https://app.example.com/', policy_uri: 'https://app.example.com/privacy', tos_uri: 'https://app.example.com/terms' });
    const { page } = await consentPage(c.client_id);
    expect(page).toContain('<a class="policy-uri" href="https://app.example.com/privacy" rel="noopener noreferrer" target="_blank">Privacy policy</a>');
    expect(page).toContain('<a class="tos-uri" href="https://app.example.com/terms" rel="noopener noreferrer" target="_blank">Terms of service</a>');
    expect(page).toContain('<a class="client-uri" href="https://app.example.com/"');
    for (const field of ['policy_uri', 'tos_uri', 'logo_uri', 'client_uri']) {
      const bad = await register({ redirect_uris: [REDIRECT], [field]: 'javascript:alert(1)' });
      expect(bad.status, field).toBe(400);
      expect(bad.json['error']).toBe('invalid_client_metadata');
    }
  });

  it.skipIf(skip)('oidcc-registration-jwks-uri: an https jwks_uri is registered and shown; jwks with it, or http, is refused', async () => {
    const c = await registered({ jwks_uri: 'https://app.example.com/jwks.json' });
    expect(c['jwks_uri']).toBe('https://app.example.com/jwks.json');
    expect((await register({ redirect_uris: [REDIRECT], jwks_uri: 'http://app.example.com/jwks.json' })).json['error']).toBe('invalid_client_metadata');
    expect((await register({ redirect_uris: [REDIRECT], jwks_uri: 'https://app.example.com/jwks.json', jwks: { keys: [] } })).json['error']).toBe('invalid_client_metadata');
  });

  it.skipIf(skip)('oidcc-redirect-uri-regfrag: a redirect URI with a fragment is refused', async () => {
    const r = await register({ redirect_uris: [REDIRECT, 'https://app.example.com/cb#frag'] });
    expect(r.status).toBe(400);
    expect(r.json['error']).toBe('invalid_redirect_uri');
  });

  it.skipIf(skip)('oidcc-registration-native-loopback and application_type: native takes loopback and private-use schemes only; web is the default', async () => {
    const native = await registered({ application_type: 'native', token_endpoint_auth_method: 'none', redirect_uris: ['http://127.0.0.1/cb', 'com.example.app:/cb'] });
    expect(native['application_type']).toBe('native');
    const web = await registered({});
    expect(web['application_type']).toBe('web');
    const https = await register({ application_type: 'native', redirect_uris: ['https://app.example.com/cb'] });
    expect(https.json['error']).toBe('invalid_redirect_uri');
    const odd = await register({ application_type: 'desktop', redirect_uris: [REDIRECT] });
    expect(odd.json['error']).toBe('invalid_client_metadata');
    // A native loopback client: the port is ephemeral (RFC 8252 §7.3) and any port is accepted.
    const { callback } = await complete(new Browser(srv.url), authorizeUrl(native.client_id, { redirect_uri: 'http://127.0.0.1:53124/cb' }).url);
    expect(callback.origin).toBe('http://127.0.0.1:53124');
    expect(callback.searchParams.get('code')).toBeTruthy();
  });

  it.skipIf(skip)('OIDC registration fields are checked and echoed: initiate_login_uri https only, request_object_signing_alg, default_max_age, require_auth_time', async () => {
    const c = await registered({ initiate_login_uri: 'https://app.example.com/login', request_object_signing_alg: 'ES256', default_max_age: 3600, require_auth_time: true });
    expect(c).toMatchObject({ initiate_login_uri: 'https://app.example.com/login', request_object_signing_alg: 'ES256', default_max_age: 3600, require_auth_time: true });
    const cases: Array<Record<string, unknown>> = [
      { initiate_login_uri: 'http://localhost:8080/login' },
      { request_object_signing_alg: 'XX512' },
      { request_object_signing_alg: 'HS256' }, // needs a readable secret: client_secret_jwt only
      { default_max_age: -1 },
      { default_max_age: '60' },
      { require_auth_time: 'yes' },
    ];
    for (const body of cases) {
      const r = await register({ redirect_uris: [REDIRECT], ...body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json['error'], JSON.stringify(body)).toBe('invalid_client_metadata');
    }
    expect((await registered({ token_endpoint_auth_method: 'client_secret_jwt', request_object_signing_alg: 'HS256' }))['request_object_signing_alg']).toBe('HS256');
  });

  it.skipIf(skip)('Authlib-style registration is corrected (RFC 7591 §2.1): client_credentials with response_types code gets response_types []', async () => {
    const r = await register({ client_name: 'Authlib', token_endpoint_auth_method: 'client_secret_jwt', grant_types: ['client_credentials'], response_types: ['code'], scope: 'openid' });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    expect(r.json['grant_types']).toEqual(['client_credentials']);
    expect(r.json['response_types']).toEqual([]);
    // The client works as registered: a client_secret_jwt assertion at the token endpoint.
    const id = r.json['client_id'] as string;
    const assertion = await new SignJWT({ jti: crypto.randomUUID() })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(id)
      .setSubject(id)
      .setAudience(`${dep.issuer}/oauth/token`)
      .setIssuedAt()
      .setExpirationTime('2m')
      .sign(new TextEncoder().encode(r.json['client_secret'] as string));
    const token = await postForm(`${srv.url}/oauth/token`, {
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    });
    expect(token.status, JSON.stringify(token.json)).toBe(200);

    // The other inconsistent pairs get the implied value; what cannot be made consistent is refused.
    const noCode = await registered({ grant_types: ['authorization_code'], response_types: [] });
    expect(noCode['response_types']).toEqual(['code']);
    const noGrant = await registered({ grant_types: ['refresh_token'], response_types: ['code'] });
    expect(noGrant['grant_types']).toEqual(['authorization_code', 'refresh_token']);
    const refreshOnly = await register({ grant_types: ['refresh_token'] });
    expect(refreshOnly.json['error']).toBe('invalid_client_metadata');
    const publicMachine = await register({ grant_types: ['client_credentials'], token_endpoint_auth_method: 'none' });
    expect(publicMachine.json['error']).toBe('invalid_client_metadata');
  });

  it.skipIf(skip)('oidcc-ensure-registered-redirect-uri: an unregistered redirect_uri gets an error page, never a redirect', async () => {
    const c = await registered({});
    const res = await new Browser(srv.url).get(authorizeUrl(c.client_id, { redirect_uri: 'http://localhost:8080/not-registered' }).url);
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(await res.text()).toContain('not registered');
  });

  it.skipIf(skip)('oidcc-max-age-1: after more than a second the user logs in again, and auth_time is new', async () => {
    const c = await registered({});
    const browser = new Browser(srv.url);
    const first = authorizeUrl(c.client_id);
    const one = await complete(browser, first.url);
    expect(one.loggedIn).toBe(true);
    const firstTime = (await idToken(c, one.callback, first.verifier)).auth_time!;
    await sleep(2100);
    const second = authorizeUrl(c.client_id, { max_age: '1' });
    const two = await complete(browser, second.url);
    expect(two.loggedIn).toBe(true);
    const claims = await idToken(c, two.callback, second.verifier, 1);
    expect(claims.auth_time).toBeGreaterThan(firstTime);
  });

  it.skipIf(skip)('oidcc-max-age-10000: a recent login is reused, and auth_time is in the ID token', async () => {
    const c = await registered({});
    const browser = new Browser(srv.url);
    const first = await complete(browser, authorizeUrl(c.client_id).url);
    expect(first.loggedIn).toBe(true);
    const again = authorizeUrl(c.client_id, { max_age: '10000' });
    const two = await complete(browser, again.url);
    expect(two.loggedIn).toBe(false);
    const claims = await idToken(c, two.callback, again.verifier, 10000);
    expect(claims.auth_time).toBeTypeOf('number');
  });

  it.skipIf(skip)('max_age=0 asks for a login even right after one; prompt=none then answers login_required', async () => {
    const c = await registered({});
    const browser = new Browser(srv.url);
    await complete(browser, authorizeUrl(c.client_id).url);
    const again = await complete(browser, authorizeUrl(c.client_id, { max_age: '0' }).url);
    expect(again.loggedIn).toBe(true);
    const silent = await browser.get(authorizeUrl(c.client_id, { max_age: '0', prompt: 'none' }).url);
    expect(new URL(silent.headers.get('location')!).searchParams.get('error')).toBe('login_required');
  });

  it.skipIf(skip)('default_max_age applies when the request has no max_age; a request max_age overrides it', async () => {
    const c = await registered({ default_max_age: 1 });
    const browser = new Browser(srv.url);
    await complete(browser, authorizeUrl(c.client_id).url);
    await sleep(2100);
    const silent = await browser.get(authorizeUrl(c.client_id, { prompt: 'none' }).url);
    expect(new URL(silent.headers.get('location')!).searchParams.get('error')).toBe('login_required');
    const longer = authorizeUrl(c.client_id, { prompt: 'none', max_age: '3600' });
    const ok = await browser.get(longer.url);
    const callback = new URL(ok.headers.get('location')!);
    expect(callback.searchParams.get('code')).toBeTruthy();
    expect((await idToken(c, callback, longer.verifier)).auth_time).toBeTypeOf('number');
  });
});
