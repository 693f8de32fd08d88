/**
 * Issue 10 item 7 (and the safe-logout part of issue 14): RP-Initiated Logout cannot be used to sign someone
 * out, or to bounce them elsewhere, with a token that is not about their own session.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeployment, DIALECTS, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { basic, json, postForm } from '../helpers/http.js';
import { Browser, authorizeFlow, forms, pkce } from '../helpers/flow.js';

const pg = await postgresAvailable();
const REDIRECT = 'http://localhost:8080/callback';
const BYE = 'http://localhost:8080/bye';

describe.each(DIALECTS)('safe RP-initiated logout (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let srv: ServerProcess;
  let app: { client_id: string; client_secret: string };
  beforeAll(async () => {
    if (skip) return;
    dep = await createDeployment(dialect);
    srv = await dep.serve();
    const created = await dep.cli(['clients', 'create', '--redirect-uri', REDIRECT, '--post-logout-redirect-uri', BYE, '--grant', 'authorization_code', '--scope', 'openid profile email', '--json']);
    app = JSON.parse(created.stdout);
  }, 60_000);
  afterAll(async () => dep?.cleanup());

  const signIn = async (browser = new Browser(srv.url)) => {
    const flow = await authorizeFlow(browser, { clientId: app.client_id, redirectUri: REDIRECT, scope: 'openid profile' });
    const tokens = await postForm(`${srv.url}/oauth/token`, { grant_type: 'authorization_code', code: flow.code!, code_verifier: flow.verifier, redirect_uri: REDIRECT }, { authorization: basic(app.client_id, app.client_secret) });
    return { browser, tokens: tokens.json as Record<string, string> };
  };
  /** Silent authentication (prompt=none) answers a code only while the browser is signed in. */
  const signedIn = async (browser: Browser) => {
    const q = new URLSearchParams({ response_type: 'code', client_id: app.client_id, redirect_uri: REDIRECT, scope: 'openid profile', prompt: 'none', code_challenge: pkce().challenge, code_challenge_method: 'S256' });
    const res = await browser.get(`/oauth/authorize?${q}`);
    return new URL(res.headers.get('location')!).searchParams.has('code');
  };
  const logout = (browser: Browser, params: Record<string, string>) => browser.get(`/oauth/logout?${new URLSearchParams(params)}`);

  it.skipIf(skip)("an attacker's own ID token as hint: a confirmation page naming the destination; the victim stays signed in", async () => {
    const victim = (await signIn()).browser;
    const attacker = await signIn();
    const res = await logout(victim, { id_token_hint: attacker.tokens['id_token']!, post_logout_redirect_uri: BYE, state: 's1' });
    expect(res.status).toBe(200);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('cache-control')).toContain('no-store');
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const page = await res.text();
    expect(page).toContain('Sign out?');
    expect(page).toContain('<strong>localhost:8080</strong>');
    expect(page).not.toContain(attacker.tokens['id_token']!);
    expect(await signedIn(victim)).toBe(true);

    // A forged confirmation (no valid CSRF token, cross-site) changes nothing.
    const form = forms(page)[0]!;
    const forged = await victim.post(form.action, { ...form.fields, csrf: 'guess' }, { 'sec-fetch-site': 'cross-site' });
    expect(forged.status).toBe(200);
    expect(await signedIn(victim)).toBe(true);

    // The person confirms (on the page just shown, whose CSRF token is current): signed out, then sent to
    // the registered URI with state.
    const confirmed = await victim.submit(await forged.text());
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.get('location')).toBe(`${BYE}?state=s1`);
    expect(await signedIn(victim)).toBe(false);
  });

  it.skipIf(skip)("the current session's own ID token signs out at once and redirects", async () => {
    const { browser, tokens } = await signIn();
    const res = await logout(browser, { id_token_hint: tokens['id_token']!, post_logout_redirect_uri: BYE, state: 's2' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`${BYE}?state=s2`);
    expect(await signedIn(browser)).toBe(false);
  });

  it.skipIf(skip)('an access token (at+jwt) as hint is refused with an error page: no redirect, still signed in', async () => {
    const { browser, tokens } = await signIn();
    const res = await logout(browser, { id_token_hint: tokens['access_token']!, post_logout_redirect_uri: BYE });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(await res.text()).toContain('not an ID token issued by this server');
    expect(await signedIn(browser)).toBe(true);
  });

  it.skipIf(skip)('a self-registered client cannot make logout an open redirector', async () => {
    const reg = await json(`${srv.url}/oauth/register`, {
      method: 'POST',
      headers: { authorization: 'Bearer test-initial-access-token-0123456789' },
      body: JSON.stringify({ redirect_uris: ['https://evil.example.net/cb'], post_logout_redirect_uris: ['https://evil.example.net/landing'], grant_types: ['authorization_code'] }),
    });
    expect(reg.status, JSON.stringify(reg.json)).toBe(201);
    const evil = reg.json['client_id'] as string;
    const { browser } = await signIn();
    // Without a hint there is no silent redirect: the person sees where they would be sent, and stays signed in.
    const res = await logout(browser, { client_id: evil, post_logout_redirect_uri: 'https://evil.example.net/landing' });
    expect(res.status).toBe(200);
    expect(res.headers.get('location')).toBeNull();
    expect(await res.text()).toContain('<strong>evil.example.net</strong>');
    expect(await signedIn(browser)).toBe(true);
    // A URI not registered exactly for the named client is refused outright.
    const refused: Record<string, string>[] = [
      { client_id: evil, post_logout_redirect_uri: 'https://evil.example.net/landing/' },
      { client_id: app.client_id, post_logout_redirect_uri: 'https://evil.example.net/landing' },
      { post_logout_redirect_uri: BYE },
    ];
    for (const params of refused) {
      const r = await logout(browser, params);
      expect(r.status).toBe(400);
      expect(r.headers.get('location')).toBeNull();
    }
    expect(await signedIn(browser)).toBe(true);
  });

  it.skipIf(skip)('a hint signed by someone else, or garbage, is refused', async () => {
    const { browser, tokens } = await signIn();
    const [h, p] = tokens['id_token']!.split('.');
    for (const bad of [`${h}.${p}.${'A'.repeat(43)}`, 'not-a-jwt', `${h}.${p}.`]) {
      const r = await logout(browser, { id_token_hint: bad });
      expect(r.status).toBe(400);
    }
    expect(await signedIn(browser)).toBe(true);
  });
});
