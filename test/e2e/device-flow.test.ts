/**
 * The Device Authorization Grant (RFC 8628) through `gatehouse serve`: openid-client initiates and polls while
 * Chromium enters the user code, signs in and consents on the server's own interaction pages; the scripted
 * browser covers verification_uri_complete (pre-filled, never auto-approved), deny, the honoured browser
 * session, DPoP-bound tokens, and the page's wrong-code and guessing limits; raw token requests cover
 * authorization_pending, slow_down, expired_token, replay and the client checks.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { chromium, type Browser as Chromium } from 'playwright-core';
import { ADMIN_PASSWORD, createDeployment, DEMO_SECRET, DIALECTS, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { basic, postForm } from '../helpers/http.js';
import { Browser, forms } from '../helpers/flow.js';

const pg = await postgresAvailable();
const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const USER_CODE = /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface DeviceCodes {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

async function createDeviceClient(dep: Deployment, name: string): Promise<string> {
  const r = await dep.cli(['clients', 'create', '--name', name, '--public', '--grant', DEVICE_GRANT, '--grant', 'refresh_token', '--scope', 'openid profile email offline_access', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { client_id: string }).client_id;
}

const authorizeDevice = async (srv: ServerProcess, clientId: string, scope = 'openid profile offline_access') => {
  const r = await postForm(`${srv.url}/oauth/device_authorization`, { client_id: clientId, scope });
  expect(r.status, JSON.stringify(r.json)).toBe(200);
  return r.json as unknown as DeviceCodes;
};
const poll = (srv: ServerProcess, clientId: string, deviceCode: string) =>
  postForm(`${srv.url}/oauth/token`, { grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: clientId });

/** /device → the code → (login) → consent; the final page. */
async function enterAndDecide(browser: Browser, userCode: string, decision: 'allow' | 'deny'): Promise<{ status: number; page: string; askedPassword: boolean }> {
  let res = await browser.get('/device');
  expect(res.status).toBe(200);
  res = await browser.submit(await res.text(), { user_code: userCode });
  let page = await res.text();
  expect(res.status, page).toBe(200);
  const askedPassword = page.includes('name="password"');
  if (askedPassword) {
    res = await browser.submit(page, { username: 'admin@example.com', password: ADMIN_PASSWORD });
    page = await res.text();
  }
  expect(page).toContain('Allow access?');
  expect(page).toContain('The device that showed you the code gets this access');
  res = await browser.submit(page, {}, decision === 'allow' ? 0 : 1);
  return { status: res.status, page: await res.text(), askedPassword };
}

describe.each(DIALECTS)('device authorization grant (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let srv: ServerProcess;
  let tv: string;
  let other: string;
  beforeAll(async () => {
    if (skip) return;
    dep = await createDeployment(dialect, { auth: { device: { interval: 2 } } });
    srv = await dep.serve();
    tv = await createDeviceClient(dep, 'Living-room TV');
    other = await createDeviceClient(dep, 'Other TV');
  });
  afterAll(async () => dep?.cleanup());

  it.skipIf(skip)('discovery advertises the device authorization endpoint and the grant type', async () => {
    for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
      const meta = (await (await fetch(`${srv.url}${path}`)).json()) as Record<string, unknown>;
      expect(meta['device_authorization_endpoint']).toBe(`${dep.issuer}/oauth/device_authorization`);
      expect(meta['grant_types_supported']).toContain(DEVICE_GRANT);
    }
  });

  it.skipIf(skip || !hasChromium)('openid-client polls while Chromium enters the code (lower case, no dash), signs in and consents; the ID token verifies', async () => {
    const config = await client.discovery(new URL(dep.issuer), tv, undefined, client.None(), { execute: [client.allowInsecureRequests] });
    const codes = await client.initiateDeviceAuthorization(config, { scope: 'openid profile offline_access' });
    expect(codes.user_code).toMatch(USER_CODE);
    expect(codes.verification_uri).toBe(`${dep.issuer}/device`);
    expect(codes.interval).toBe(2);
    expect(codes.expires_in).toBe(600);
    const polling = client.pollDeviceAuthorizationGrant(config, codes);
    const browser: Chromium = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(codes.verification_uri);
      await page.getByLabel('Code').fill(codes.user_code.replace('-', '').toLowerCase());
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.getByLabel('Email').fill('admin@example.com');
      await page.getByLabel('Password').fill(ADMIN_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Allow access?' }).waitFor();
      expect(await page.content()).toContain('Living-room TV');
      await page.getByRole('button', { name: 'Allow' }).click();
      await page.getByRole('heading', { name: 'Device connected' }).waitFor();
      expect(await page.textContent('body')).toContain('You may return to your device');
    } finally {
      await browser.close();
    }
    const tokens = await polling;
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.refresh_token).toBeTypeOf('string');
    const claims = tokens.claims()!;
    expect(claims.iss).toBe(dep.issuer);
    expect(claims.aud).toBe(tv);
    const { payload } = await jwtVerify(tokens.id_token!, createRemoteJWKSet(new URL(`${srv.url}/jwks.json`)), { issuer: dep.issuer, audience: tv });
    expect(payload.sub).toBe(claims.sub);
    expect(payload['auth_time']).toBeTypeOf('number');
    const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    expect(info['name']).toBeTypeOf('string');
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.access_token).toBeTypeOf('string');

    // One-time: the device code replayed after success.
    const replay = await poll(srv, tv, codes.device_code);
    expect(replay.status).toBe(400);
    expect(replay.json['error']).toBe('invalid_grant');
  });

  it.skipIf(skip)('verification_uri_complete only pre-fills: nothing is approved until the button; a signed-in browser only consents; deny → access_denied', async () => {
    const codes = await authorizeDevice(srv, tv);
    expect(codes.verification_uri_complete).toBe(`${dep.issuer}/device?user_code=${codes.user_code}`);
    const browser = new Browser(srv.url);
    const res = await browser.get(codes.verification_uri_complete.replace(dep.issuer, ''));
    const page = await res.text();
    expect(res.status).toBe(200);
    expect(page).toContain(`value="${codes.user_code}"`);
    expect(page).not.toContain('name="password"');
    expect(forms(page)[0]!.action).toBe('/device');
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('cache-control')).toBe('no-store');
    // Opening the link approved nothing.
    expect((await poll(srv, tv, codes.device_code)).json['error']).toBe('authorization_pending');

    // The person presses the button, signs in and allows; the device then gets DPoP-bound tokens.
    const allowed = await enterAndDecide(browser, codes.user_code, 'allow');
    expect(allowed.askedPassword).toBe(true);
    expect(allowed.page).toContain('Device connected');
    const config = await client.discovery(new URL(dep.issuer), tv, undefined, client.None(), { execute: [client.allowInsecureRequests] });
    const dpop = client.getDPoPHandle(config, await client.randomDPoPKeyPair());
    const tokens = await client.pollDeviceAuthorizationGrant(config, codes as unknown as client.DeviceAuthorizationResponse, undefined, { DPoP: dpop });
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
    const [, body] = tokens.access_token.split('.');
    expect((JSON.parse(Buffer.from(body!, 'base64url').toString()) as { cnf?: { jkt?: string } }).cnf?.jkt).toBeTypeOf('string');

    // The same browser is signed in now: the next device only asks consent. Deny.
    const second = await authorizeDevice(srv, tv);
    const denied = await enterAndDecide(browser, second.user_code.toLowerCase(), 'deny');
    expect(denied.askedPassword).toBe(false);
    expect(denied.status).toBe(200);
    expect(denied.page).toContain('Device not connected');
    const refused = await poll(srv, tv, second.device_code);
    expect(refused.status).toBe(400);
    expect(refused.json['error']).toBe('access_denied');
    // A decided code is not found on the page any more.
    let res2 = await browser.get('/device');
    res2 = await browser.submit(await res2.text(), { user_code: second.user_code });
    expect(res2.status).toBe(400);
    expect(await res2.text()).toContain('That code is not valid or has expired');
  });

  it.skipIf(skip)('authorization_pending, then slow_down for polling faster than the interval, and the interval grows', async () => {
    const codes = await authorizeDevice(srv, tv);
    expect((await poll(srv, tv, codes.device_code)).json['error']).toBe('authorization_pending');
    const fast = await poll(srv, tv, codes.device_code);
    expect(fast.status).toBe(400);
    expect(fast.json['error']).toBe('slow_down');
    // Past the original 2 s interval, still too fast: the interval is now 7 s (RFC 8628 §3.5).
    await sleep(2500);
    expect((await poll(srv, tv, codes.device_code)).json['error']).toBe('slow_down');
  });

  it.skipIf(skip)('concurrent polls of an approved code: exactly one gets tokens; a later replay revokes what it issued', async () => {
    const codes = await authorizeDevice(srv, tv, 'openid offline_access');
    expect((await enterAndDecide(new Browser(srv.url), codes.user_code, 'allow')).page).toContain('Device connected');
    const polls = await Promise.all(Array.from({ length: 8 }, () => poll(srv, tv, codes.device_code)));
    const won = polls.filter((p) => p.status === 200);
    expect(won).toHaveLength(1);
    for (const lost of polls.filter((p) => p.status !== 200)) {
      expect(lost.status).toBe(400);
      expect(lost.json['error']).toBe('invalid_grant');
    }
    // The losers were replays of a spent code: the grant is revoked, so the winner's tokens are dead too.
    const { access_token: accessToken, refresh_token: refreshToken } = won[0]!.json as { access_token: string; refresh_token: string };
    const refreshed = await postForm(`${srv.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: tv });
    expect(refreshed.json['error']).toBe('invalid_grant');
    const userinfo = await fetch(`${srv.url}/oauth/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(userinfo.status).toBe(401);
  });

  it.skipIf(skip)('refuses a client without the grant, an unknown device code and another client\'s', async () => {
    const noGrant = await postForm(`${srv.url}/oauth/device_authorization`, { scope: 'openid' }, { authorization: basic('demo-client', DEMO_SECRET) });
    expect(noGrant.status).toBe(400);
    expect(noGrant.json['error']).toBe('unauthorized_client');
    const badScope = await postForm(`${srv.url}/oauth/device_authorization`, { client_id: tv, scope: 'openid admin' });
    expect(badScope.json['error']).toBe('invalid_scope');
    const unknownClient = await postForm(`${srv.url}/oauth/device_authorization`, { client_id: 'nobody', scope: 'openid' });
    expect(unknownClient.json['error']).toBe('invalid_client');
    expect((await poll(srv, tv, 'not-a-device-code')).json['error']).toBe('invalid_grant');
    const codes = await authorizeDevice(srv, tv);
    const stolen = await poll(srv, other, codes.device_code);
    expect(stolen.status).toBe(400);
    expect(stolen.json['error']).toBe('invalid_grant');
    const missing = await postForm(`${srv.url}/oauth/token`, { grant_type: DEVICE_GRANT, client_id: tv });
    expect(missing.json['error']).toBe('invalid_request');
  });
});

describe.each(DIALECTS)('device authorization: expiry and the guessing limit (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let srv: ServerProcess;
  let tv: string;
  beforeAll(async () => {
    if (skip) return;
    dep = await createDeployment(dialect, { auth: { device: { lifetime: 2, interval: 1, userCodeRateLimit: { perIp: 3 } } } });
    srv = await dep.serve();
    tv = await createDeviceClient(dep, 'Short-lived TV');
  });
  afterAll(async () => dep?.cleanup());

  it.skipIf(skip)('an expired device code is expired_token, and its user code is no longer found', async () => {
    const codes = await authorizeDevice(srv, tv);
    expect(codes.expires_in).toBe(2);
    await sleep(3100);
    const expired = await poll(srv, tv, codes.device_code);
    expect(expired.status).toBe(400);
    expect(expired.json['error']).toBe('expired_token');
    // One wrong-code slot of this address is spent here (the limit test below allows for it).
    const browser = new Browser(srv.url);
    let res = await browser.get('/device');
    res = await browser.submit(await res.text(), { user_code: codes.user_code });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('That code is not valid or has expired');
  });

  it.skipIf(skip)('a wrong user code gets a clear message; repeated wrong codes are refused with 429', async () => {
    const browser = new Browser(srv.url);
    let res = await browser.get('/device');
    const statuses: number[] = [];
    let last = '';
    for (let i = 0; i < 4; i++) {
      res = await browser.submit(await res.text(), { user_code: 'bcdf-ghjk' });
      statuses.push(res.status);
      last = await res.clone().text();
      if (res.status === 400) expect(last).toContain('That code is not valid or has expired. Check the code on your device and try again.');
    }
    // perIp 3: the expiry test's entry and two here, then the limit.
    expect(statuses).toEqual([400, 400, 429, 429]);
    expect(last).toContain('Too many attempts');
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    // A right code is refused too while the address is limited (the limit is checked before the lookup).
    const codes = await authorizeDevice(srv, tv);
    res = await browser.get('/device');
    res = await browser.submit(await res.text(), { user_code: codes.user_code });
    expect(res.status).toBe(429);
  });
});
