/**
 * FAPI 2.0 Security Profile (Final), the mTLS client authentication + mTLS sender-constraint variant, through
 * `gatehouse serve` terminating TLS with a PKI made at test time (test/helpers/pki.ts). Client credentials
 * (the plan's fapi_client_credentials_grant profile), the pushed request, and the authorization code flow with the
 * person in Chromium (openid-client as the client, every request over mutual TLS); names follow the suite's modules.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { Agent, fetch as undiciFetch } from 'undici';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { ADMIN_PASSWORD, createDeployment, DIALECTS, freePort, type Deployment } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { pkce } from '../helpers/flow.js';
import { issue, selfSigned, type Issued } from '../helpers/pki.js';

const pg = await postgresAvailable();
const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const DN = 'CN=fapi-client,O=Gatehouse Test';
const REDIRECT = 'https://rp.example.test/cb';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-fapi-pki-'));
const ca = selfSigned(dir, 'ca', '/CN=FAPI Test CA', true);
const serverCert = issue(dir, ca, 'server', '/CN=localhost', ['subjectAltName=DNS:localhost,IP:127.0.0.1']);
const clientCert = issue(dir, ca, 'fapi-client', '/O=Gatehouse Test/CN=fapi-client');
const agents: Agent[] = [];
const agent = (id?: Issued) => {
  const a = new Agent({ connect: { ca: ca.cert, ...(id ? { cert: id.cert, key: id.key } : {}) } });
  agents.push(a);
  return a;
};
const thumbprint = (pem: string) => createHash('sha256').update(new X509Certificate(pem).raw).digest('base64url');
const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

afterAll(async () => {
  await Promise.all(agents.map((a) => a.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function post(url: string, form: Record<string, string>, dispatcher: Agent) {
  const res = await undiciFetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString(), dispatcher });
  return { status: res.status, json: (await res.json().catch(() => ({}))) as Record<string, unknown> };
}

describe.each(DIALECTS)('FAPI 2.0 Security Profile, mTLS + mTLS (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let base: string;
  let clientId: string;
  beforeAll(async () => {
    if (skip) return;
    const port = await freePort();
    base = `https://127.0.0.1:${port}`;
    dep = await createDeployment(dialect, { server: { port, issuer: base, tls: { certFile: serverCert.certFile, keyFile: serverCert.keyFile, clientCaFile: ca.certFile } } });
    await dep.serve(port);
    const created = await dep.cli(['clients', 'create', '--name', 'FAPI mTLS', '--fapi', '--auth', 'tls_client_auth', '--tls-subject-dn', DN, '--redirect-uri', REDIRECT, '--grant', 'authorization_code', '--grant', 'client_credentials', '--grant', 'refresh_token', '--scope', 'openid offline_access api:read', '--json']);
    expect(created.code, created.stderr).toBe(0);
    clientId = JSON.parse(created.stdout).client_id;
  });
  afterAll(async () => dep?.cleanup());

  it.skipIf(skip)('fapi2-security-profile-final-happy-flow (client credentials, openid-client): the token is bound to the client certificate', async () => {
    const dispatcher = agent(clientCert);
    const fetcher = ((url: string, options: Record<string, unknown>) => undiciFetch(url, { ...options, dispatcher })) as unknown as client.CustomFetch;
    const config = await client.discovery(new URL(base), clientId, undefined, client.TlsClientAuth(), { [client.customFetch]: fetcher });
    config[client.customFetch] = fetcher;
    const tokens = await client.clientCredentialsGrant(config, { scope: 'api:read' });
    // Bound although the client did not register tls_client_certificate_bound_access_tokens: the profile binds.
    expect(claimsOf(tokens.access_token)['cnf']).toEqual({ 'x5t#S256': thumbprint(clientCert.cert) });
  });

  it.skipIf(skip)('fapi2-security-profile-final-ensure-holder-of-key-required: no client certificate is invalid_client', async () => {
    const res = await post(`${base}/oauth/token`, { grant_type: 'client_credentials', client_id: clientId, scope: 'api:read' }, agent());
    expect(res.status).toBe(401);
    expect(['invalid_client', 'invalid_request']).toContain(res.json['error']);
  });

  it.skipIf(skip)('PAR over mutual TLS: pushed with the certificate, PKCE required, redirect_uri required', async () => {
    const { challenge } = pkce();
    const params = { client_id: clientId, response_type: 'code', redirect_uri: REDIRECT, scope: 'openid', state: 's', code_challenge: challenge, code_challenge_method: 'S256' };
    const pushed = await post(`${base}/oauth/par`, params, agent(clientCert));
    expect(pushed.status).toBe(201);
    expect(String(pushed.json['request_uri'])).toMatch(/^urn:ietf:params:oauth:request_uri:/);
    const { code_challenge: _c, code_challenge_method: _m, ...withoutPkce } = params;
    expect((await post(`${base}/oauth/par`, withoutPkce, agent(clientCert))).json['error']).toBe('invalid_request');
    const { redirect_uri: _r, ...withoutRedirect } = params;
    expect((await post(`${base}/oauth/par`, withoutRedirect, agent(clientCert))).json['error']).toBe('invalid_request');
    // fapi2-security-profile-final-ensure-unsigned-authorization-request-without-using-par-fails
    const plain = await undiciFetch(`${base}/oauth/authorize?${new URLSearchParams(params)}`, { redirect: 'manual', dispatcher: agent() });
    expect(plain.status).toBe(303);
    expect(new URL(plain.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
  });
  /** openid-client over mutual TLS with the client's certificate (or another identity, or none). */
  async function mtlsConfig(id: Issued | undefined = clientCert): Promise<client.Configuration> {
    const dispatcher = agent(id);
    const fetcher = ((url: string, options: Record<string, unknown>) => undiciFetch(url, { ...options, dispatcher })) as unknown as client.CustomFetch;
    const config = await client.discovery(new URL(base), clientId, undefined, client.TlsClientAuth(), { [client.customFetch]: fetcher });
    config[client.customFetch] = fetcher;
    return config;
  }

  /** PAR over mTLS, then the person signs in and consents in Chromium; the callback URL the browser was sent to. */
  async function authorizeInChromium(config: client.Configuration, verifier: string, state: string): Promise<URL> {
    const url = await client.buildAuthorizationUrlWithPAR(config, {
      redirect_uri: REDIRECT,
      scope: 'openid offline_access',
      state,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      // Each test signs in afresh and is asked again (the earlier consent would otherwise be remembered).
      prompt: 'consent',
    });
    expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      // The browser trusts the test CA's server certificate (ignoreHTTPSErrors) and has no client certificate:
      // one listener serves it and the mTLS client alike.
      const context = await browser.newContext({ ignoreHTTPSErrors: true });
      const page = await context.newPage();
      let landed = '';
      await page.route(`${REDIRECT}**`, async (route) => {
        landed = route.request().url();
        await route.fulfill({ status: 200, body: 'back at the app' });
      });
      await page.goto(url.href);
      await page.getByLabel('Email').fill('admin@example.com');
      await page.getByLabel('Password').fill(ADMIN_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      const allow = page.getByRole('button', { name: 'Allow' });
      await allow.waitFor({ timeout: 10_000 }).catch(async () => {
        throw new Error(`no consent page: ${(await page.content()).slice(0, 1500)}`);
      });
      await allow.click();
      await page.waitForURL(`${REDIRECT}**`);
      return new URL(landed);
    } finally {
      await browser.close();
    }
  }

  it.skipIf(skip || !hasChromium)('fapi2-security-profile-final-happy-flow (authorization code in Chromium, openid-client): certificate-bound tokens, iss in the response, userinfo, one-time code', async () => {
    const config = await mtlsConfig();
    const verifier = client.randomPKCECodeVerifier();
    const callback = await authorizeInChromium(config, verifier, 'mtls-state');
    expect(callback.searchParams.get('iss')).toBe(base);
    const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: 'mtls-state' });
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(claimsOf(tokens.access_token)['cnf']).toEqual({ 'x5t#S256': thumbprint(clientCert.cert) });
    const sub = tokens.claims()!.sub;
    expect((await client.fetchUserInfo(config, tokens.access_token, sub)).sub).toBe(sub);

    // fapi2-security-profile-final-ensure-holder-of-key-required at the resource: without the certificate, or
    // with another one from the same CA, the token is refused.
    for (const dispatcher of [agent(), agent(issue(dir, ca, 'intruder', '/O=Gatehouse Test/CN=intruder'))]) {
      const res = await undiciFetch(`${base}/oauth/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` }, dispatcher });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('invalid_token');
    }

    // fapi2-security-profile-final-attempt-reuse-authorization-code-after-one-second
    await new Promise((r) => setTimeout(r, 1000));
    const reused = await post(`${base}/oauth/token`, { grant_type: 'authorization_code', client_id: clientId, code: callback.searchParams.get('code')!, code_verifier: verifier, redirect_uri: REDIRECT }, agent(clientCert));
    expect(reused.status).toBe(400);
    expect(reused.json['error']).toBe('invalid_grant');
  });

  it.skipIf(skip || !hasChromium)('fapi2-security-profile-final-refresh-token over mTLS: bound to the certificate, not rotated, refused without it', async () => {
    const config = await mtlsConfig();
    const verifier = client.randomPKCECodeVerifier();
    const callback = await authorizeInChromium(config, verifier, 'mtls-refresh');
    const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: 'mtls-refresh' });
    expect(tokens.refresh_token).toBeTypeOf('string');
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(claimsOf(refreshed.access_token)['cnf']).toEqual({ 'x5t#S256': thumbprint(clientCert.cert) });
    // The profile keeps refresh tokens (no rotation unless configured): the same one works again.
    expect(refreshed.refresh_token ?? tokens.refresh_token).toBe(tokens.refresh_token);
    const withoutCertificate = await post(`${base}/oauth/token`, { grant_type: 'refresh_token', client_id: clientId, refresh_token: tokens.refresh_token! }, agent());
    expect(withoutCertificate.status).toBe(401);
    expect(withoutCertificate.json['error']).toBe('invalid_client');
  });
});
