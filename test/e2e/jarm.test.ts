/**
 * Issue 14, JARM (JWT Secured Authorization Response Mode for OAuth 2.0, as the FAPI plans test it): the
 * response parameters travel as the claims of one signed `response` JWT (iss, aud, exp ≤ 10 min, code and
 * state, or error, error_description and state), delivered by query, fragment or form_post, signed with the
 * client's authorization_signed_response_alg (RS256 by default). Verified with jose through the JWKS and with
 * openid-client's JARM support.
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { chromium } from 'playwright-core';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, authorizeFlow, forms, pkce } from '../helpers/flow.js';
import { basic, json, postForm } from '../helpers/http.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { ADMIN_PASSWORD, createDeployment, DIALECTS, freePort, type Deployment, type ServerProcess } from '../helpers/server.js';

const pg = await postgresAvailable();
const REDIRECT = 'http://localhost:8080/callback';
const IAT = 'test-initial-access-token-0123456789';
const CHROMIUM = '/usr/bin/chromium';

describe.each(DIALECTS)('JARM response modes (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let srv: ServerProcess;
  let jwks: ReturnType<typeof createRemoteJWKSet>;
  let app: { client_id: string; client_secret: string };
  let browser: Browser;
  beforeAll(async () => {
    if (skip) return;
    dep = await createDeployment(dialect);
    srv = await dep.serve();
    jwks = createRemoteJWKSet(new URL(`${srv.url}/jwks.json`));
    const r = await json(`${srv.url}/oauth/register`, {
      method: 'POST',
      headers: { authorization: `Bearer ${IAT}` },
      body: JSON.stringify({ client_name: 'JARM RP', redirect_uris: [REDIRECT], grant_types: ['authorization_code'], scope: 'openid profile' }),
    });
    expect(r.status).toBe(201);
    app = r.json as typeof app;
    // Sign in and consent once (plain query mode); later requests answer at once from the session.
    browser = new Browser(srv.url);
    await authorizeFlow(browser, { clientId: app.client_id, redirectUri: REDIRECT, scope: 'openid profile' });
  }, 60_000);
  afterAll(async () => dep?.cleanup());

  const authorize = (extra: Record<string, string>, clientId = app.client_id) => {
    const { verifier, challenge } = pkce();
    const q = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, scope: 'openid profile', state: 'st-1', code_challenge: challenge, code_challenge_method: 'S256', ...extra });
    return { verifier, response: browser.get(`/oauth/authorize?${q}`) };
  };
  const verify = async (jwt: string, audience = app.client_id, alg = 'RS256'): Promise<JWTPayload> => {
    expect(decodeProtectedHeader(jwt).alg).toBe(alg);
    const { payload } = await jwtVerify(jwt, jwks, { issuer: dep.issuer, audience, algorithms: [alg] });
    expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(600);
    expect(payload.exp!).toBeGreaterThan(Math.floor(Date.now() / 1000));
    return payload;
  };
  const redeem = (code: string, verifier: string) =>
    postForm(`${srv.url}/oauth/token`, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT }, { authorization: basic(app.client_id, app.client_secret) });

  it.skipIf(skip)('discovery advertises the four JARM modes and the signing algs', async () => {
    const meta = (await json(`${srv.url}/.well-known/openid-configuration`)).json;
    expect(meta['response_modes_supported']).toEqual(expect.arrayContaining(['query', 'fragment', 'form_post', 'jwt', 'query.jwt', 'fragment.jwt', 'form_post.jwt']));
    expect([...(meta['authorization_signing_alg_values_supported'] as string[])].sort()).toEqual(['ES256', 'ES384', 'EdDSA', 'PS256', 'RS256']);
  });

  it.skipIf(skip)('jarm-query-jwt: only `response` in the query; a signed JWT with iss, aud, exp, code and state', async () => {
    const { verifier, response } = authorize({ response_mode: 'query.jwt' });
    const res = await response;
    expect(res.status).toBe(303);
    const url = new URL(res.headers.get('location')!);
    expect(`${url.origin}${url.pathname}`).toBe(REDIRECT);
    expect([...url.searchParams.keys()]).toEqual(['response']);
    const claims = await verify(url.searchParams.get('response')!);
    expect(claims).toMatchObject({ iss: dep.issuer, aud: app.client_id, state: 'st-1' });
    expect(claims['code']).toBeTypeOf('string');
    const tokens = await redeem(claims['code'] as string, verifier);
    expect(tokens.status).toBe(200);
    expect(tokens.json['id_token']).toBeTypeOf('string');
  });

  it.skipIf(skip)('jarm-jwt (default delivery for code is query); openid-client validates the response', async () => {
    const config = await client.discovery(new URL(dep.issuer), app.client_id, undefined, client.ClientSecretBasic(app.client_secret), { execute: [client.allowInsecureRequests] });
    client.useJwtResponseMode(config);
    const { verifier, response } = authorize({ response_mode: 'jwt' });
    const url = new URL((await response).headers.get('location')!);
    expect(url.searchParams.has('response')).toBe(true);
    expect(url.hash).toBe('');
    const tokens = await client.authorizationCodeGrant(config, url, { pkceCodeVerifier: verifier, expectedState: 'st-1', idTokenExpected: true });
    expect(tokens.claims()!.aud).toBe(app.client_id);
  });

  it.skipIf(skip)('jarm-fragment-jwt: the JWT in the fragment, nothing in the query', async () => {
    const { verifier, response } = authorize({ response_mode: 'fragment.jwt' });
    const url = new URL((await response).headers.get('location')!);
    expect(url.search).toBe('');
    const fragment = new URLSearchParams(url.hash.slice(1));
    expect([...fragment.keys()]).toEqual(['response']);
    const claims = await verify(fragment.get('response')!);
    expect(claims['state']).toBe('st-1');
    expect((await redeem(claims['code'] as string, verifier)).status).toBe(200);
  });

  it.skipIf(skip)('jarm-form-post-jwt: an auto-submitting form posts `response` to the redirect URI', async () => {
    const { verifier, response } = authorize({ response_mode: 'form_post.jwt' });
    const res = await response;
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toContain('no-store');
    const [form] = forms(await res.text());
    expect(form!.action).toBe(REDIRECT);
    expect(Object.keys(form!.fields)).toEqual(['response']);
    const claims = await verify(form!.fields['response']!);
    expect(claims).toMatchObject({ iss: dep.issuer, aud: app.client_id, state: 'st-1' });
    expect((await redeem(claims['code'] as string, verifier)).status).toBe(200);
  });

  it.skipIf(skip)('jarm-error-response: a redirected error is a signed JWT too (error, error_description, state)', async () => {
    // prompt=none for a browser without a session: login_required, through JARM.
    const q = new URLSearchParams({ response_type: 'code', client_id: app.client_id, redirect_uri: REDIRECT, scope: 'openid', state: 'st-err', prompt: 'none', response_mode: 'query.jwt', code_challenge: pkce().challenge, code_challenge_method: 'S256' });
    const res = await new Browser(srv.url).get(`/oauth/authorize?${q}`);
    expect(res.status).toBe(303);
    const url = new URL(res.headers.get('location')!);
    expect([...url.searchParams.keys()]).toEqual(['response']);
    const claims = await verify(url.searchParams.get('response')!);
    expect(claims).toMatchObject({ iss: dep.issuer, aud: app.client_id, error: 'login_required', state: 'st-err' });
    expect(claims['error_description']).toBeTypeOf('string');
    expect(claims['code']).toBeUndefined();

    // A request error found before the session is looked at (bad scope), in fragment.jwt.
    const bad = authorize({ response_mode: 'fragment.jwt', scope: 'openid not-a-registered-scope', state: 'st-scope' });
    const badUrl = new URL((await bad.response).headers.get('location')!);
    const badClaims = await verify(new URLSearchParams(badUrl.hash.slice(1)).get('response')!);
    expect(badClaims).toMatchObject({ error: 'invalid_scope', state: 'st-scope' });
  });

  it.skipIf(skip)('an unknown response_mode is an invalid_request in plain query; an unknown client never redirects', async () => {
    const { response } = authorize({ response_mode: 'jwt.query' });
    const url = new URL((await response).headers.get('location')!);
    expect(url.searchParams.get('error')).toBe('invalid_request');
    expect(url.searchParams.get('iss')).toBe(dep.issuer);
    const unknown = await authorize({ response_mode: 'query.jwt' }, 'no-such-client').response;
    expect(unknown.status).toBe(400);
    expect(unknown.headers.get('location')).toBeNull();
  });

  it.skipIf(skip || !existsSync(CHROMIUM))('jarm-form-post-jwt in Chromium: login, consent, the page posts `response` to the client under its CSP', async () => {
    const port = await freePort();
    const callback = `http://127.0.0.1:${port}/callback`;
    const received: string[] = [];
    const rp = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        if (req.method === 'POST') received.push(body);
        res.writeHead(200, { 'content-type': 'text/plain' }).end('received');
      });
    });
    await new Promise<void>((r) => rp.listen(port, '127.0.0.1', r));
    const created = JSON.parse((await dep.cli(['clients', 'create', '--name', 'JARM browser RP', '--redirect-uri', callback, '--grant', 'authorization_code', '--scope', 'openid', '--authorization-alg', 'PS256', '--json'])).stdout) as { client_id: string };
    const browserProc = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    try {
      const page = await browserProc.newPage();
      const q = new URLSearchParams({ response_type: 'code', client_id: created.client_id, redirect_uri: callback, scope: 'openid', state: 'st-chromium', response_mode: 'form_post.jwt', code_challenge: pkce().challenge, code_challenge_method: 'S256' });
      await page.goto(`${srv.url}/oauth/authorize?${q}`);
      await page.getByLabel('Email').fill('admin@example.com');
      await page.getByLabel('Password').fill(ADMIN_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('button', { name: 'Allow' }).click();
      await page.waitForURL(callback);
      expect(await page.textContent('body')).toBe('received');
    } finally {
      await browserProc.close();
      rp.close();
    }
    expect(received).toHaveLength(1);
    const form = new URLSearchParams(received[0]);
    expect([...form.keys()]).toEqual(['response']);
    const claims = await verify(form.get('response')!, created.client_id, 'PS256');
    expect(claims).toMatchObject({ iss: dep.issuer, aud: created.client_id, state: 'st-chromium' });
    expect(claims['code']).toBeTypeOf('string');
  }, 60_000);

  it.skipIf(skip)("jarm-signature-alg: signed with the client's authorization_signed_response_alg (ES256, EdDSA)", async () => {
    for (const alg of ['ES256', 'EdDSA']) {
      const r = await json(`${srv.url}/oauth/register`, {
        method: 'POST',
        headers: { authorization: `Bearer ${IAT}` },
        body: JSON.stringify({ redirect_uris: [REDIRECT], grant_types: ['authorization_code'], scope: 'openid', authorization_signed_response_alg: alg }),
      });
      expect(r.status).toBe(201);
      expect(r.json['authorization_signed_response_alg']).toBe(alg);
      const id = r.json['client_id'] as string;
      // The consent page first (a new client), then the JARM response after the decision.
      const flow = await authorizeFlow(browser, { clientId: id, redirectUri: REDIRECT, scope: 'openid', extra: { response_mode: 'query.jwt' } });
      const claims = await verify(flow.url.searchParams.get('response')!, id, alg);
      expect(claims['state']).toBe(flow.state);
      expect(claims['code']).toBeTypeOf('string');
    }
  });
});
