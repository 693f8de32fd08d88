/**
 * The OpenID Foundation's RP-Initiated Logout OP test plan (conformance-suite `oidcc-rp-initiated-logout*`
 * modules), mirrored against the real `gatehouse serve`: RP-Initiated Logout 1.0 §2 (confirmation unless the
 * hint is the current session's), §3 (exact post_logout_redirect_uri, state echoed) and `sid` in ID tokens.
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeployment, DIALECTS, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { basic, postForm } from '../helpers/http.js';
import { Browser, authorizeFlow, pkce } from '../helpers/flow.js';

const pg = await postgresAvailable();
const REDIRECT = 'http://localhost:8080/callback';
const BYE = 'http://localhost:8080/bye';
const BYE_WITH_QUERY = 'http://localhost:8080/bye2?from=op';

describe.each(DIALECTS)('oidcc RP-initiated logout (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let srv: ServerProcess;
  let app: { client_id: string; client_secret: string };
  let other: { client_id: string; client_secret: string };
  beforeAll(async () => {
    if (skip) return;
    dep = await createDeployment(dialect);
    srv = await dep.serve();
    const create = async (...extra: string[]) =>
      JSON.parse((await dep.cli(['clients', 'create', '--redirect-uri', REDIRECT, '--grant', 'authorization_code', '--scope', 'openid profile', '--skip-consent', ...extra, '--json'])).stdout);
    app = await create('--post-logout-redirect-uri', BYE, '--post-logout-redirect-uri', BYE_WITH_QUERY);
    other = await create('--post-logout-redirect-uri', 'http://localhost:8080/other-bye');
  }, 60_000);
  afterAll(async () => dep?.cleanup());

  const tokensFor = async (browser: Browser, client = app) => {
    const flow = await authorizeFlow(browser, { clientId: client.client_id, redirectUri: REDIRECT, scope: 'openid profile' });
    const res = await postForm(`${srv.url}/oauth/token`, { grant_type: 'authorization_code', code: flow.code!, code_verifier: flow.verifier, redirect_uri: REDIRECT }, { authorization: basic(client.client_id, client.client_secret) });
    expect(res.status).toBe(200);
    return res.json as Record<string, string>;
  };
  const signIn = async () => {
    const browser = new Browser(srv.url);
    return { browser, idToken: (await tokensFor(browser))['id_token']! };
  };
  const signedIn = async (browser: Browser) => {
    const q = new URLSearchParams({ response_type: 'code', client_id: app.client_id, redirect_uri: REDIRECT, scope: 'openid', prompt: 'none', code_challenge: pkce().challenge, code_challenge_method: 'S256' });
    return new URL((await browser.get(`/oauth/authorize?${q}`)).headers.get('location')!).searchParams.has('code');
  };
  const logout = (browser: Browser, params: Record<string, string>) => browser.get(`/oauth/logout?${new URLSearchParams(params)}`);

  it.skipIf(skip)('oidcc-rp-initiated-logout: id_token_hint + post_logout_redirect_uri + state ends the session and redirects with state (GET and POST)', async () => {
    const get = await signIn();
    const res = await logout(get.browser, { id_token_hint: get.idToken, post_logout_redirect_uri: BYE, state: 'st-get', client_id: app.client_id, logout_hint: 'admin@example.com', ui_locales: 'de en' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`${BYE}?state=st-get`);
    expect(res.headers.get('cache-control')).toContain('no-store');
    expect(await signedIn(get.browser)).toBe(false);

    const post = await signIn();
    const posted = await post.browser.post('/oauth/logout', { id_token_hint: post.idToken, post_logout_redirect_uri: BYE, state: 'st-post' });
    expect(posted.status).toBe(303);
    expect(posted.headers.get('location')).toBe(`${BYE}?state=st-post`);
    expect(await signedIn(post.browser)).toBe(false);
  });

  it.skipIf(skip)('oidcc-rp-initiated-logout: sid is in every ID token of a browser session, the same for each client and each login of that session', async () => {
    const browser = new Browser(srv.url);
    const first = decodeJwt((await tokensFor(browser))['id_token']!);
    const again = decodeJwt((await tokensFor(browser))['id_token']!);
    const forOther = decodeJwt((await tokensFor(browser, other))['id_token']!);
    expect(first['sid']).toBeTypeOf('string');
    expect(again['sid']).toBe(first['sid']);
    expect(forOther['sid']).toBe(first['sid']);
    const elsewhere = decodeJwt((await signIn()).idToken);
    expect(elsewhere['sid']).not.toBe(first['sid']);
    // The other client's own hint, with its own registered URI, signs the session out too.
    const res = await logout(browser, { id_token_hint: (await tokensFor(browser, other))['id_token']!, post_logout_redirect_uri: 'http://localhost:8080/other-bye' });
    expect(res.status).toBe(303);
    expect(await signedIn(browser)).toBe(false);
  });

  it.skipIf(skip)('oidcc-rp-initiated-logout-bad-post-logout-redirect-uri: an unregistered URI is an error page, no redirect, still signed in', async () => {
    const { browser, idToken } = await signIn();
    for (const uri of ['https://attacker.example.net/bye', 'http://localhost:8080/bye/', 'http://localhost:8080/other-bye']) {
      const res = await logout(browser, { id_token_hint: idToken, post_logout_redirect_uri: uri, state: 's' });
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(await res.text()).toContain('post_logout_redirect_uri is not registered');
    }
    // client_id and the hint's aud must agree.
    const mismatch = await logout(browser, { id_token_hint: idToken, client_id: other.client_id, post_logout_redirect_uri: 'http://localhost:8080/other-bye' });
    expect(mismatch.status).toBe(400);
    expect(await signedIn(browser)).toBe(true);
  });

  it.skipIf(skip)('oidcc-rp-initiated-logout-modified-id-token-hint: a hint with a changed payload or signature is refused, no redirect', async () => {
    const { browser, idToken } = await signIn();
    const [h, p, s] = idToken.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
    const modified = Buffer.from(JSON.stringify({ ...payload, sub: 'someone-else' })).toString('base64url');
    const flipped = (s![0] === 'A' ? 'B' : 'A') + s!.slice(1);
    for (const bad of [`${h}.${modified}.${s}`, `${h}.${p}.${flipped}`]) {
      const res = await logout(browser, { id_token_hint: bad, post_logout_redirect_uri: BYE, state: 's' });
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(await res.text()).toContain('not an ID token issued by this server');
    }
    expect(await signedIn(browser)).toBe(true);
  });

  it.skipIf(skip)('oidcc-rp-initiated-logout-no-params: the person is asked; signed out only on confirming, then a signed-out page', async () => {
    const { browser } = await signIn();
    const res = await logout(browser, {});
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('Sign out?');
    expect(await signedIn(browser)).toBe(true);
    const confirmed = await browser.submit(page);
    expect(confirmed.status).toBe(200);
    expect(await confirmed.text()).toContain('You are signed out');
    expect(await signedIn(browser)).toBe(false);
  });

  it.skipIf(skip)('oidcc-rp-initiated-logout-no-post-logout-redirect-uri: the hint alone signs out and shows the signed-out page', async () => {
    const { browser, idToken } = await signIn();
    const res = await logout(browser, { id_token_hint: idToken });
    expect(res.status).toBe(200);
    expect(res.headers.get('location')).toBeNull();
    expect(await res.text()).toContain('You are signed out');
    expect(await signedIn(browser)).toBe(false);
  });

  it.skipIf(skip)('oidcc-rp-initiated-logout-no-state: redirected to exactly the registered URI, with no state added', async () => {
    const { browser, idToken } = await signIn();
    const res = await logout(browser, { id_token_hint: idToken, post_logout_redirect_uri: BYE });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(BYE);
  });

  it.skipIf(skip)('oidcc-rp-initiated-logout-only-state: state without post_logout_redirect_uri is ignored: signed out, no redirect', async () => {
    const { browser, idToken } = await signIn();
    const res = await logout(browser, { id_token_hint: idToken, state: 'only-state-value' });
    expect(res.status).toBe(200);
    expect(res.headers.get('location')).toBeNull();
    expect(await res.text()).not.toContain('only-state-value');
    expect(await signedIn(browser)).toBe(false);
  });

  it.skipIf(skip)('oidcc-rp-initiated-logout-query-added-to-post-logout-redirect-uri: a query added to a registered URI is refused; a registered query is kept', async () => {
    const { browser, idToken } = await signIn();
    const added = await logout(browser, { id_token_hint: idToken, post_logout_redirect_uri: `${BYE}?extra=1`, state: 's' });
    expect(added.status).toBe(400);
    expect(added.headers.get('location')).toBeNull();
    expect(await signedIn(browser)).toBe(true);
    const kept = await logout(browser, { id_token_hint: idToken, post_logout_redirect_uri: BYE_WITH_QUERY, state: 'q s' });
    expect(kept.status).toBe(303);
    expect(kept.headers.get('location')).toBe('http://localhost:8080/bye2?from=op&state=q+s');
  });
});
