/**
 * Issue 10, items 3, 5 (jwks), 10 and 14: hostile input at the edge. Control characters, malformed JWK sets,
 * framework errors (bad URL encoding, media type, size, unknown routes) and the consent page's warnings,
 * through `gatehouse serve` on both databases.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeployment, DIALECTS, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { basic, json, postForm } from '../helpers/http.js';
import { Browser, forms, pkce } from '../helpers/flow.js';

const pg = await postgresAvailable();
const IAT = 'test-initial-access-token-0123456789';

/** An error body the protocol allows: no framework code, no echoed URL, no stack. */
function expectClean(body: string, url?: string) {
  expect(body).not.toMatch(/FST_|statusCode|at .*\.js:\d+/);
  if (url) expect(body).not.toContain(url);
}

describe.each(DIALECTS)('hardening: input at the edge (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let srv: ServerProcess;
  let adminAuth: Record<string, string>;
  beforeAll(async () => {
    if (skip) return;
    // Only 127.0.0.1 itself may scrape, so a connection from 127.0.0.2 shows that the socket address decides.
    dep = await createDeployment(dialect, { server: { metrics: { allowFrom: ['127.0.0.1/32'] } } });
    srv = await dep.serve();
    const admin = JSON.parse((await dep.cli(['clients', 'create', '--scope', 'admin', '--json'])).stdout) as { client_id: string; client_secret: string };
    const tok = await postForm(`${srv.url}/oauth/token`, { grant_type: 'client_credentials', scope: 'admin' }, { authorization: basic(admin.client_id, admin.client_secret) });
    adminAuth = { authorization: `Bearer ${tok.json['access_token'] as string}` };
  });
  afterAll(async () => dep?.cleanup());

  const register = (body: unknown) =>
    json(`${srv.url}/oauth/register`, { method: 'POST', body: JSON.stringify(body), headers: { authorization: `Bearer ${IAT}` } });

  it.skipIf(skip)('NUL and control characters: invalid_request JSON on API routes, the HTML error page on browser routes', async () => {
    // Registration: NUL in free text, LF in an identifier, NUL in a nested key of a JWK.
    for (const body of [
      { client_name: 'a\u0000b', grant_types: ['client_credentials'] },
      { client_name: 'ok', grant_types: ['client_credentials\n'] },
      { client_name: 'ok', grant_types: ['client_credentials'], software_id: 'x\u0001' },
      { client_name: 'ok', grant_types: ['client_credentials'], contacts: ['a@example.test\u0000'] },
    ]) {
      const r = await register(body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json['error']).toBe('invalid_request');
    }
    // Admin API path parameter.
    const admin = await fetch(`${srv.url}/admin/api/v1/clients/%00`, { headers: adminAuth });
    expect(admin.status).toBe(400);
    expect(((await admin.json()) as { error: string }).error).toBe('invalid_request');
    // Token endpoint form body.
    const tok = await postForm(`${srv.url}/oauth/token`, 'grant_type=client_credentials&scope=api%00', { authorization: basic('demo-client', 'x') });
    expect(tok.status).toBe(400);
    expect(tok.json['error']).toBe('invalid_request');

    // Browser: nonce with NUL at the authorization endpoint.
    const { challenge } = pkce();
    const q = `response_type=code&client_id=demo-client&redirect_uri=${encodeURIComponent('http://localhost:8080/callback')}&scope=openid&state=s&code_challenge=${challenge}&code_challenge_method=S256`;
    const authz = await fetch(`${srv.url}/oauth/authorize?${q}&nonce=n%00`, { redirect: 'manual' });
    expect(authz.status).toBe(400);
    expect(authz.headers.get('content-type')).toMatch(/^text\/html/);
    expect(authz.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expectClean(await authz.text());

    // Browser: username with NUL at sign-in (PostgreSQL answered 500).
    const browser = new Browser(srv.url);
    const page = await (await browser.get(`/oauth/authorize?${q}&nonce=n1`)).text();
    expect(page).toContain('name="password"');
    const login = await browser.submit(page, { username: 'a\u0000@example.test', password: 'whatever' });
    expect(login.status).toBe(400);
    expect(login.headers.get('content-type')).toMatch(/^text\/html/);
    expectClean(await login.text());
    // The same interaction still works for a clean request afterwards (nothing half-done).
    const again = await browser.submit(page, { username: 'admin@example.com', password: 'correct horse battery staple' });
    expect(again.status).toBeLessThan(500);
  });

  it.skipIf(skip)('jwks with null or non-object keys is invalid_client_metadata at registration, RFC 7592 update and the admin API', async () => {
    const bad = [{ keys: [null] }, { keys: [1] }, { keys: ['k'] }, { keys: [[]] }, { keys: [{}] }, { keys: [{ kty: 1 }] }];
    const base = { grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt' };
    for (const jwks of bad) {
      const r = await register({ ...base, jwks });
      expect(r.status, JSON.stringify(jwks)).toBe(400);
      expect(r.json['error']).toBe('invalid_client_metadata');
    }
    const created = await register({ client_name: 'svc', grant_types: ['client_credentials'] });
    expect(created.status).toBe(201);
    const uri = (created.json['registration_client_uri'] as string).replace(dep.issuer, srv.url);
    const auth = { authorization: `Bearer ${created.json['registration_access_token'] as string}` };
    const { client_secret: _s, registration_access_token: _t, registration_client_uri: _u, client_secret_expires_at: _e, client_id_issued_at: _i, ...meta } = created.json;
    for (const jwks of bad) {
      const r = await json(uri, { method: 'PUT', headers: auth, body: JSON.stringify({ ...meta, token_endpoint_auth_method: 'private_key_jwt', jwks }) });
      expect(r.status, JSON.stringify(jwks)).toBe(400);
      expect(r.json['error']).toBe('invalid_client_metadata');
      const a = await json(`${srv.url}/admin/api/v1/clients`, { method: 'POST', headers: adminAuth, body: JSON.stringify({ ...base, jwks }) });
      expect(a.status, JSON.stringify(jwks)).toBeLessThan(500);
      expect(a.status).toBeGreaterThanOrEqual(400);
    }
    // The registration body has a schema: not an object is refused before any code reads it.
    for (const body of ['[]', '"x"', '1', 'null']) {
      const r = await json(`${srv.url}/oauth/register`, { method: 'POST', body, headers: { authorization: `Bearer ${IAT}` } });
      expect(r.status, body).toBe(400);
      expect(r.json['error']).toBe('invalid_client_metadata');
    }
  });

  it.skipIf(skip)('framework errors go through the mapper: bad URL encoding, media type, size, unknown routes and methods', async () => {
    const browserCases: Array<[string, string, RequestInit, number]> = [
      ['POST', '/oauth/interaction/%E0%A4%A/login', {}, 400],
      ['GET', '/oauth/interaction/%E0%A4%A/login', {}, 400],
      ['POST', `/oauth/interaction/${'a'.repeat(300)}/login`, {}, 400],
      ['GET', '/oauth/authorize/%E0%A4%A', {}, 400],
      ['POST', '/oauth/authorize', { headers: { 'content-type': 'text/plain' }, body: 'x' }, 400],
      ['POST', '/oauth/authorize', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `a=${'x'.repeat(200_000)}` }, 413],
      ['GET', '/oauth/interaction/abc/nope', {}, 404],
      ['DELETE', '/oauth/authorize', {}, 404],
      ['PATCH', '/oauth/logout', {}, 404],
    ];
    for (const [method, path, init, status] of browserCases) {
      const r = await fetch(`${srv.url}${path}`, { method, redirect: 'manual', ...init });
      const body = await r.text();
      expect(r.status, `${method} ${path}`).toBe(status);
      expect(r.headers.get('content-type'), `${method} ${path}`).toMatch(/^text\/html/);
      expect(r.headers.get('content-security-policy')).toContain("default-src 'none'");
      expectClean(body, path);
    }
    const apiCases: Array<[string, string, RequestInit, number, string]> = [
      ['GET', '/oauth/register/%E0%A4%A', {}, 400, 'invalid_request'],
      ['GET', '/admin/api/v1/clients/%E0%A4%A', {}, 400, 'invalid_request'],
      ['GET', '/.well-known/%E0%A4%A', {}, 400, 'invalid_request'],
      ['GET', `/admin/api/v1/clients/${'a'.repeat(300)}`, {}, 400, 'invalid_request'],
      ['POST', '/oauth/token', { headers: { 'content-type': 'text/plain' }, body: 'x' }, 400, 'invalid_request'],
      ['POST', '/oauth/register', { headers: { 'content-type': 'application/json' }, body: '{"a":' }, 400, 'invalid_request'],
      ['POST', '/oauth/token', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `a=${'x'.repeat(200_000)}` }, 413, 'invalid_request'],
      ['DELETE', '/oauth/token', {}, 404, 'not_found'],
      ['GET', '/nope/%E0%A4%A', {}, 400, 'invalid_request'],
    ];
    for (const [method, path, init, status, error] of apiCases) {
      const r = await fetch(`${srv.url}${path}`, { method, ...init });
      const body = await r.text();
      expect(r.status, `${method} ${path}`).toBe(status);
      expect(r.headers.get('content-type'), `${method} ${path}`).toMatch(/^application\/json/);
      expect((JSON.parse(body) as { error: string }).error, `${method} ${path}`).toBe(error);
      expectClean(body, path);
    }
  });

  it.skipIf(skip)('redirect URIs with whitespace or control characters are refused at registration', async () => {
    const bad = [' https://a.example/cb', 'https://a.example/cb ', 'https://a.example/cb\r\n', 'https://a.example/c\tb', 'https://a.example/c b', 'https://a.exa\nmple/cb'];
    for (const uri of bad) {
      const r = await register({ redirect_uris: [uri], token_endpoint_auth_method: 'none' });
      expect(r.status, JSON.stringify(uri)).toBe(400);
      // CR/LF/TAB in a *_uris value are control characters (invalid_request at the edge); spaces reach the rule.
      expect(['invalid_redirect_uri', 'invalid_request'], JSON.stringify(uri)).toContain(r.json['error']);
    }
    for (const uri of [' https://a.example/cb', 'https://a.example/cb ', 'https://a.example/c b']) {
      const r = await register({ redirect_uris: [uri], token_endpoint_auth_method: 'none' });
      expect(r.json['error']).toBe('invalid_redirect_uri');
      const p = await register({ redirect_uris: ['https://a.example/cb'], post_logout_redirect_uris: [uri], token_endpoint_auth_method: 'none' });
      expect(p.status).toBe(400);
      expect(p.json['error']).toBe('invalid_redirect_uri');
    }
  });

  it.skipIf(skip)('the consent page shows the redirect host and marks a self-registered "Gatehouse Dashboard" as unverified', async () => {
    const r = await register({ client_name: 'Gatehouse Dashboard', redirect_uris: ['https://phish.example/cb'], token_endpoint_auth_method: 'none', scope: 'openid profile' });
    expect(r.status).toBe(201);
    const clientId = r.json['client_id'] as string;
    const { challenge } = pkce();
    const browser = new Browser(srv.url);
    const params = new URLSearchParams({
      response_type: 'code', client_id: clientId, redirect_uri: 'https://phish.example/cb', scope: 'openid profile',
      state: 's', nonce: 'n', code_challenge: challenge, code_challenge_method: 'S256',
    });
    const loginPage = await (await browser.get(`/oauth/authorize?${params}`)).text();
    expect(loginPage).toContain('unverified application, registered by itself');
    const consent = await browser.submit(loginPage, { username: 'admin@example.com', password: 'correct horse battery staple' });
    expect(consent.status).toBe(200);
    const html = await consent.text();
    expect(forms(html).map((f) => f.fields['decision'])).toEqual(['allow', 'deny']);
    expect(html).toContain('Unverified application');
    expect(html).toMatch(/Gatehouse Dashboard<\/strong> \(unverified\)/);
    expect(html).toContain('phish.example');

    // The operator's own (seeded) demo client is not marked, and its redirect host is shown.
    const b2 = new Browser(srv.url);
    const p2 = new URLSearchParams({ ...Object.fromEntries(params), client_id: 'demo-client', redirect_uri: 'http://localhost:8080/callback' });
    const login2 = await (await b2.get(`/oauth/authorize?${p2}`)).text();
    const consent2 = await (await b2.submit(login2, { username: 'admin@example.com', password: 'correct horse battery staple' })).text();
    expect(consent2).toContain('localhost:8080');
    expect(consent2).not.toContain('Unverified');
  });

  it.skipIf(skip)('/metrics answers only the allowed socket address, never a proxied request', async () => {
    const get = (localAddress: string, headers: Record<string, string> = {}) =>
      new Promise<number>((res, rej) => {
        const req = httpRequest(`${srv.url}/metrics`, { localAddress, headers, agent: false }, (r) => {
          r.resume();
          r.on('end', () => res(r.statusCode ?? 0));
        });
        req.on('error', rej);
        req.end();
      });
    expect(await get('127.0.0.1')).toBe(200);
    expect(await get('127.0.0.2')).toBe(404);
    expect(await get('127.0.0.1', { 'x-forwarded-for': '127.0.0.1' })).toBe(404);
    expect(await get('127.0.0.1', { forwarded: 'for=127.0.0.1' })).toBe(404);
  });
});
