/**
 * Pushed Authorization Requests (RFC 9126) through `gatehouse serve`: pushes with openid-client and
 * oauth4webapi, the authorization in the scripted browser and in Chromium, the checks at push time, one-time
 * use at the authorization (a visit may be repeated until then), and require_pushed_authorization_requests.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import * as oauth from 'oauth4webapi';
import { chromium } from 'playwright-core';
import { ADMIN_PASSWORD, createDeployment, DIALECTS, freePort, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { basic, postForm } from '../helpers/http.js';
import { Browser, pkce } from '../helpers/flow.js';

const pg = await postgresAvailable();
const CHROMIUM = '/usr/bin/chromium';
const REQUEST_URI = /^urn:ietf:params:oauth:request_uri:[\w-]{43}$/;

/** The login and consent pages of one authorization; the final response (a 303 to the redirect URI). */
async function signIn(browser: Browser, url: string): Promise<Response> {
  let res = await browser.get(url);
  expect(res.status).toBe(200);
  res = await browser.submit(await res.text(), { username: 'admin@example.com', password: ADMIN_PASSWORD });
  if (res.status === 200) res = await browser.submit(await res.text());
  return res;
}

describe.each(DIALECTS)('pushed authorization requests (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let srv: ServerProcess;
  let app: { client_id: string; client_secret: string };
  let strict: { client_id: string; client_secret: string };
  let redirect: string;
  beforeAll(async () => {
    if (skip) return;
    dep = await createDeployment(dialect);
    srv = await dep.serve();
    redirect = `http://127.0.0.1:${await freePort()}/cb`;
    const create = async (...extra: string[]) => {
      const r = await dep.cli(['clients', 'create', '--name', 'Pushing app', '--redirect-uri', redirect, '--grant', 'authorization_code', '--grant', 'refresh_token', '--scope', 'openid offline_access', ...extra, '--json']);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { client_id: string; client_secret: string };
    };
    app = await create();
    strict = await create('--require-par');
  });
  afterAll(async () => dep?.cleanup());

  const push = (who: { client_id: string; client_secret: string }, form: Record<string, string>) =>
    postForm(`${srv.url}/oauth/par`, form, { authorization: basic(who.client_id, who.client_secret) });
  const authorizeParams = (challenge: string) => ({ response_type: 'code', redirect_uri: redirect, scope: 'openid offline_access', state: 'st-1', code_challenge: challenge, code_challenge_method: 'S256' });

  it.skipIf(skip)('discovery advertises the endpoint; PAR is not required by default', async () => {
    const meta = (await (await fetch(`${srv.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(meta['pushed_authorization_request_endpoint']).toBe(`${dep.issuer}/oauth/par`);
    expect(meta['require_pushed_authorization_requests']).toBe(false);
  });

  it.skipIf(skip)('openid-client pushes; only client_id and request_uri travel; the code flow completes; the request_uri is then spent', async () => {
    const config = await client.discovery(new URL(dep.issuer), app.client_id, undefined, client.ClientSecretBasic(app.client_secret), { execute: [client.allowInsecureRequests] });
    const verifier = client.randomPKCECodeVerifier();
    const url = await client.buildAuthorizationUrlWithPAR(config, {
      redirect_uri: redirect,
      scope: 'openid offline_access',
      state: 'st-oc',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
    expect(url.searchParams.get('request_uri')).toMatch(REQUEST_URI);
    const browser = new Browser(srv.url);
    const done = await signIn(browser, url.href);
    expect(done.status).toBe(303);
    const callback = new URL(done.headers.get('location')!);
    expect(callback.searchParams.get('iss')).toBe(dep.issuer);
    const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: 'st-oc' });
    expect(tokens.access_token).toBeTypeOf('string');
    expect(tokens.id_token).toBeTypeOf('string');

    // One authorization per push: the same request_uri again is invalid_request_uri, sent to the pushed redirect URI.
    const again = await browser.get(url.href);
    expect(again.status).toBe(303);
    const refused = new URL(again.headers.get('location')!);
    expect(`${refused.origin}${refused.pathname}`).toBe(redirect);
    expect(refused.searchParams.get('error')).toBe('invalid_request_uri');
    expect(refused.searchParams.get('state')).toBe('st-oc');
  });

  it.skipIf(skip || !existsSync(CHROMIUM))('oauth4webapi pushes; a person signs in in Chromium after a reload of the login page', async () => {
    const issuer = new URL(dep.issuer);
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { [oauth.allowInsecureRequests]: true }));
    const rp: oauth.Client = { client_id: app.client_id };
    const auth = oauth.ClientSecretBasic(app.client_secret);
    const verifier = oauth.generateRandomCodeVerifier();
    // prompt=consent: the earlier test's consent would otherwise be remembered.
    const params = new URLSearchParams({ ...authorizeParams(await oauth.calculatePKCECodeChallenge(verifier)), state: 'st-o4', prompt: 'consent' });
    const pushed = await oauth.processPushedAuthorizationResponse(as, rp, await oauth.pushedAuthorizationRequest(as, rp, auth, params, { [oauth.allowInsecureRequests]: true }));
    expect(pushed.request_uri).toMatch(REQUEST_URI);
    expect(pushed.expires_in).toBe(60);

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage();
      let landed = '';
      await page.route(`${redirect}**`, async (route) => {
        landed = route.request().url();
        await route.fulfill({ status: 200, body: 'back at the app' });
      });
      const url = `${as.authorization_endpoint}?client_id=${app.client_id}&request_uri=${encodeURIComponent(pushed.request_uri)}`;
      await page.goto(url);
      // A reload (or a second visit) before the authorization completes is still the same request.
      await page.goto(url);
      await page.getByLabel('Email').fill('admin@example.com');
      await page.getByLabel('Password').fill(ADMIN_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Allow access?' }).waitFor({ timeout: 10_000 }).catch(async () => {
        throw new Error(`no consent page: ${(await page.content()).slice(0, 1500)}`);
      });
      await page.getByRole('button', { name: 'Allow' }).click();
      await page.waitForURL(`${redirect}**`);
      const callback = new URL(landed);
      const checked = oauth.validateAuthResponse(as, rp, callback, 'st-o4');
      const res = await oauth.authorizationCodeGrantRequest(as, rp, auth, checked, redirect, verifier, { [oauth.allowInsecureRequests]: true });
      const tokens = await oauth.processAuthorizationCodeResponse(as, rp, res);
      expect(tokens.token_type).toBe('bearer');
      expect(tokens.refresh_token).toBeTypeOf('string');
    } finally {
      await browser.close();
    }
  });

  it.skipIf(skip)('every authorization-request check runs at push time, with RFC 6749 JSON errors', async () => {
    const { challenge } = pkce();
    const bad = await push(app, { ...authorizeParams(challenge), redirect_uri: 'https://evil.example/cb' });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ error: 'invalid_request' });
    const { code_challenge: _c, code_challenge_method: _m, ...withoutPkce } = authorizeParams(challenge);
    expect((await push(app, withoutPkce)).json).toMatchObject({ error: 'invalid_request', error_description: expect.stringMatching(/code_challenge/) });
    expect((await push(app, { ...authorizeParams(challenge), response_type: 'token' })).json['error']).toBe('unsupported_response_type');
    expect((await push(app, { ...authorizeParams(challenge), scope: 'openid nonsense' })).json['error']).toBe('invalid_scope');
    expect((await push(app, { ...authorizeParams(challenge), request_uri: 'urn:ietf:params:oauth:request_uri:x' })).json['error']).toBe('invalid_request');
    // A client_id naming another client than the credentials is a failed client authentication (RFC 6749 §3.2.1).
    expect((await push(app, { ...authorizeParams(challenge), client_id: strict.client_id })).json['error']).toBe('invalid_client');
    const anonymous = await postForm(`${srv.url}/oauth/par`, { ...authorizeParams(challenge), client_id: app.client_id });
    expect(anonymous.status).toBe(401);
    expect(anonymous.json['error']).toBe('invalid_client');
    const wrongType = await fetch(`${srv.url}/oauth/par`, { method: 'POST', headers: { authorization: basic(app.client_id, app.client_secret), 'content-type': 'application/json' }, body: '{}' });
    expect(wrongType.status).toBe(400);
    expect(((await wrongType.json()) as { error: string }).error).toBe('invalid_request');
  });

  it.skipIf(skip)('a request_uri is bound to its client and unknown ones get an error page, never a redirect', async () => {
    const pushed = await push(app, authorizeParams(pkce().challenge));
    expect(pushed.status).toBe(201);
    expect(pushed.headers.get('cache-control')).toContain('no-store');
    const uri = String(pushed.json['request_uri']);
    const other = await new Browser(srv.url).get(`/oauth/authorize?client_id=${strict.client_id}&request_uri=${encodeURIComponent(uri)}`);
    expect(other.status).toBe(400);
    expect(other.headers.get('location')).toBeNull();
    expect(other.headers.get('content-type')).toContain('text/html');
    const unknown = await new Browser(srv.url).get(`/oauth/authorize?client_id=${app.client_id}&request_uri=${encodeURIComponent(`${uri.slice(0, -4)}AAAA`)}`);
    expect(unknown.status).toBe(400);
    expect(unknown.headers.get('location')).toBeNull();
  });

  it.skipIf(skip)('require_pushed_authorization_requests (client metadata): a plain request is refused, a pushed one works', async () => {
    const { challenge } = pkce();
    const plain = await new Browser(srv.url).get(`/oauth/authorize?${new URLSearchParams({ ...authorizeParams(challenge), client_id: strict.client_id })}`);
    expect(plain.status).toBe(303);
    const refused = new URL(plain.headers.get('location')!);
    expect(refused.searchParams.get('error')).toBe('invalid_request');
    const pushed = await push(strict, authorizeParams(challenge));
    const page = await new Browser(srv.url).get(`/oauth/authorize?client_id=${strict.client_id}&request_uri=${encodeURIComponent(String(pushed.json['request_uri']))}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('name="password"');
  });
});

describe.each(DIALECTS)('PAR required server-wide, short-lived request_uris (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let srv: ServerProcess;
  let app: { client_id: string; client_secret: string };
  const redirect = 'http://127.0.0.1:9/cb';
  beforeAll(async () => {
    if (skip) return;
    dep = await createDeployment(dialect, { auth: { par: { required: true, lifetime: 1 } } });
    srv = await dep.serve();
    const r = await dep.cli(['clients', 'create', '--name', 'App', '--redirect-uri', redirect, '--scope', 'openid', '--json']);
    app = JSON.parse(r.stdout);
  });
  afterAll(async () => dep?.cleanup());

  it.skipIf(skip)('discovery says required; a plain request is refused; an expired request_uri is invalid_request_uri', async () => {
    const meta = (await (await fetch(`${srv.url}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    expect(meta['require_pushed_authorization_requests']).toBe(true);
    const params = { response_type: 'code', redirect_uri: redirect, scope: 'openid', state: 's', code_challenge: pkce().challenge, code_challenge_method: 'S256' };
    const plain = await new Browser(srv.url).get(`/oauth/authorize?${new URLSearchParams({ ...params, client_id: app.client_id })}`);
    expect(new URL(plain.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
    const pushed = await postForm(`${srv.url}/oauth/par`, params, { authorization: basic(app.client_id, app.client_secret) });
    expect(pushed.json['expires_in']).toBe(1);
    await new Promise((r) => setTimeout(r, 2100));
    const late = await new Browser(srv.url).get(`/oauth/authorize?client_id=${app.client_id}&request_uri=${encodeURIComponent(String(pushed.json['request_uri']))}`);
    expect(late.status).toBe(303);
    const refused = new URL(late.headers.get('location')!);
    expect(refused.searchParams.get('error')).toBe('invalid_request_uri');
    expect(refused.searchParams.get('state')).toBe('s');
  });
});
