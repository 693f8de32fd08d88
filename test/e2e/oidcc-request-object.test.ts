/**
 * Issue 14, request objects (OpenID Connect Core §6.1, RFC 9101), named after the OpenID Foundation
 * conformance-suite modules they mirror. A real `gatehouse serve`, real HTTP, openid-client building signed
 * request objects (buildAuthorizationUrlWithJAR) and redeeming codes, jose for hand-made objects and
 * negatives, and a local JWKS server for a jwks_uri client.
 */
import { createServer, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey, type JWK } from 'jose';
import { ADMIN_PASSWORD, createDeployment, DIALECTS, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { json } from '../helpers/http.js';
import { Browser, pkce } from '../helpers/flow.js';

const pg = await postgresAvailable();
const REDIRECT = 'http://localhost:8080/callback';
const OTHER_REDIRECT = 'http://localhost:8080/other';
const IAT = 'test-initial-access-token-0123456789';

interface Registered {
  client_id: string;
  client_secret?: string;
}

describe.each(DIALECTS)('request objects (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let srv: ServerProcess;
  let jwksServer: Server;
  let jwksHits = 0;
  let rsa: { publicKey: CryptoKey; privateKey: CryptoKey };
  let ec: { publicKey: CryptoKey; privateKey: CryptoKey };
  let stranger: { publicKey: CryptoKey; privateKey: CryptoKey };
  let rsClient: Registered;
  let ecClient: Registered;
  let noneClient: Registered;
  let plainClient: Registered;

  const operatorClient = async (metadata: Record<string, unknown>): Promise<Registered> => {
    const file = join(dep.dir, `client-${randomBytes(4).toString('hex')}.json`);
    writeFileSync(file, JSON.stringify(metadata));
    const r = await dep.cli(['clients', 'create', '--metadata', file, '--json']);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Registered;
  };

  beforeAll(async () => {
    if (skip) return;
    rsa = await generateKeyPair('RS256', { extractable: true });
    ec = await generateKeyPair('ES256', { extractable: true });
    stranger = await generateKeyPair('RS256', { extractable: true });
    const ecJwk: JWK = { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' };
    jwksServer = createServer((_req, res) => {
      jwksHits++;
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=60' }).end(JSON.stringify({ keys: [ecJwk] }));
    });
    await new Promise<void>((res) => jwksServer.listen(0, '127.0.0.1', res));
    const jwksPort = (jwksServer.address() as { port: number }).port;

    dep = await createDeployment(dialect, { outbound: { allowInsecureLoopback: true } });
    srv = await dep.serve();
    const base = { redirect_uris: [REDIRECT, OTHER_REDIRECT], grant_types: ['authorization_code'], scope: 'openid profile email' };
    const rsJwk = { ...(await exportJWK(rsa.publicKey)), kid: 'rs-1', alg: 'RS256', use: 'sig' };
    rsClient = await operatorClient({ ...base, client_name: 'JAR RS256', jwks: { keys: [rsJwk] }, request_object_signing_alg: 'RS256' });
    ecClient = await operatorClient({ ...base, client_name: 'JAR ES256', jwks_uri: `http://127.0.0.1:${jwksPort}/jwks` });
    plainClient = await operatorClient({ ...base, client_name: 'No JAR' });
    // Self-registered (RFC 7591) for unsigned request objects.
    const reg = await json(`${srv.url}/oauth/register`, {
      method: 'POST',
      headers: { authorization: `Bearer ${IAT}` },
      body: JSON.stringify({ ...base, client_name: 'Unsigned JAR', request_object_signing_alg: 'none' }),
    });
    expect(reg.status, JSON.stringify(reg.json)).toBe(201);
    expect(reg.json['request_object_signing_alg']).toBe('none');
    noneClient = reg.json as unknown as Registered;
  }, 90_000);
  afterAll(async () => {
    jwksServer?.close();
    await dep?.cleanup();
  });

  /** Follows login and consent to the redirect; returns the final response (a 303 to the client). */
  const authorize = async (browser: Browser, query: Record<string, string>) => {
    let res = await browser.get(`/oauth/authorize?${new URLSearchParams(query)}`);
    for (let i = 0; i < 2 && res.status === 200; i++) {
      const page = await res.text();
      res = page.includes('name="password"') ? await browser.submit(page, { username: 'admin@example.com', password: ADMIN_PASSWORD }) : await browser.submit(page);
    }
    return res;
  };
  const location = (res: Response) => {
    expect(res.status).toBe(303);
    return new URL(res.headers.get('location')!);
  };
  const expectError = (res: Response, error: string, state: string, redirect = REDIRECT) => {
    const url = location(res);
    expect(`${url.origin}${url.pathname}`).toBe(redirect);
    expect(url.searchParams.get('error'), url.href).toBe(error);
    expect(url.searchParams.get('state')).toBe(state);
    expect(url.searchParams.get('iss')).toBe(dep.issuer);
    expect(url.searchParams.get('error_description')).toBeTruthy();
  };
  const rs256Object = (claims: Record<string, unknown>, opts: { iss?: string; aud?: string | null; exp?: string | number; key?: CryptoKey; alg?: string } = {}) => {
    const jwt = new SignJWT(claims).setProtectedHeader({ alg: opts.alg ?? 'RS256', kid: 'rs-1', typ: 'oauth-authz-req+jwt' }).setIssuedAt().setIssuer(opts.iss ?? rsClient.client_id);
    if (opts.aud !== null) jwt.setAudience(opts.aud ?? dep.issuer);
    jwt.setExpirationTime(opts.exp ?? '5m');
    return jwt.sign(opts.key ?? rsa.privateKey);
  };
  const requestClaims = (clientId: string, state: string) => ({
    client_id: clientId,
    response_type: 'code',
    redirect_uri: REDIRECT,
    scope: 'openid profile',
    state,
    nonce: randomBytes(8).toString('hex'),
    code_challenge: pkce().challenge,
    code_challenge_method: 'S256',
  });
  const config = (c: Registered) =>
    client.discovery(new URL(dep.issuer), c.client_id, undefined, client.ClientSecretBasic(c.client_secret!), { execute: [client.allowInsecureRequests] });

  it.skipIf(skip)('discovery: request objects by value, no request_uri, the algs including none', async () => {
    const meta = (await json(`${srv.url}/.well-known/openid-configuration`)).json;
    expect(meta['request_parameter_supported']).toBe(true);
    expect(meta['request_uri_parameter_supported']).toBe(false);
    const algs = meta['request_object_signing_alg_values_supported'] as string[];
    for (const alg of ['RS256', 'ES256', 'PS256', 'HS256', 'none']) expect(algs).toContain(alg);
  });

  it.skipIf(skip)('oidcc-ensure-request-object-with-redirect-uri: openid-client signs the object (RS256); the redirect_uri is only inside it', async () => {
    const cfg = await config(rsClient);
    const { verifier, challenge } = pkce();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = await client.buildAuthorizationUrlWithJAR(
      cfg,
      { redirect_uri: REDIRECT, scope: 'openid profile', response_type: 'code', state, nonce, code_challenge: challenge, code_challenge_method: 'S256' },
      { key: rsa.privateKey, kid: 'rs-1' },
    );
    // RFC 9101 §5: only client_id and request travel outside the object.
    expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request']);
    const res = await authorize(new Browser(srv.url), Object.fromEntries(url.searchParams));
    const callback = location(res);
    expect(`${callback.origin}${callback.pathname}`).toBe(REDIRECT);
    const tokens = await client.authorizationCodeGrant(cfg, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
    const claims = tokens.claims()!;
    expect(claims.aud).toBe(rsClient.client_id);
    expect(claims.nonce).toBe(nonce);
  });

  it.skipIf(skip)('object parameters win over the query (OIDC Core §6.3.3): state, scope and redirect_uri come from the object', async () => {
    const state = 'from-object';
    const request = await rs256Object({ ...requestClaims(rsClient.client_id, state), redirect_uri: OTHER_REDIRECT });
    const res = await authorize(new Browser(srv.url), { client_id: rsClient.client_id, response_type: 'code', redirect_uri: REDIRECT, state: 'from-query', scope: 'openid', request });
    const callback = location(res);
    expect(`${callback.origin}${callback.pathname}`).toBe(OTHER_REDIRECT);
    expect(callback.searchParams.get('state')).toBe(state);
    expect(callback.searchParams.get('code')).toBeTruthy();
  });

  it.skipIf(skip)('oidcc-request-uri-unsigned-supported-correctly-or-rejected-as-unsupported: rejected with request_uri_not_supported', async () => {
    const res = await new Browser(srv.url).get(`/oauth/authorize?${new URLSearchParams({ client_id: noneClient.client_id, response_type: 'code', redirect_uri: REDIRECT, scope: 'openid', state: 'ru1', request_uri: 'https://client.example.org/request.jwt' })}`);
    expectError(res, 'request_uri_not_supported', 'ru1');
  });

  it.skipIf(skip)('oidcc-request-uri-signed-rs256: rejected with request_uri_not_supported (nothing is fetched)', async () => {
    const res = await new Browser(srv.url).get(`/oauth/authorize?${new URLSearchParams({ client_id: rsClient.client_id, response_type: 'code', redirect_uri: REDIRECT, scope: 'openid', state: 'ru2', request_uri: `http://127.0.0.1:${(jwksServer.address() as { port: number }).port}/request.jwt` })}`);
    expectError(res, 'request_uri_not_supported', 'ru2');
  });

  it.skipIf(skip)('oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported: accepted from a client registered for none, refused from others', async () => {
    const unsigned = (clientId: string, state: string) =>
      new UnsecuredJWT(requestClaims(clientId, state)).setIssuer(clientId).setAudience(dep.issuer).setIssuedAt().setExpirationTime('5m').encode();
    const ok = await authorize(new Browser(srv.url), { client_id: noneClient.client_id, response_type: 'code', scope: 'openid', request: unsigned(noneClient.client_id, 'u1') });
    const callback = location(ok);
    expect(callback.searchParams.get('code')).toBeTruthy();
    expect(callback.searchParams.get('state')).toBe('u1');

    for (const c of [plainClient, rsClient]) {
      const refused = await new Browser(srv.url).get(`/oauth/authorize?${new URLSearchParams({ client_id: c.client_id, response_type: 'code', redirect_uri: REDIRECT, scope: 'openid', state: 'u2', request: unsigned(c.client_id, 'u2') })}`);
      expectError(refused, 'invalid_request_object', 'u2');
    }
  });

  it.skipIf(skip)('oidcc-ensure-request-object-missing-aud / bad-iss / expired / bad signature / wrong alg: invalid_request_object, redirected with state and iss', async () => {
    const claims = requestClaims(rsClient.client_id, 'in-object');
    const hs = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuer(rsClient.client_id).setAudience(dep.issuer).setExpirationTime('5m').sign(new TextEncoder().encode(rsClient.client_secret!));
    const cases: Array<[string, Promise<string>]> = [
      ['missing aud', rs256Object(claims, { aud: null })],
      ['wrong aud', rs256Object(claims, { aud: 'https://elsewhere.example' })],
      ['bad iss', rs256Object(claims, { iss: 'someone-else' })],
      ['expired', rs256Object(claims, { exp: Math.floor(Date.now() / 1000) - 600 })],
      ['signed by another key', rs256Object(claims, { key: stranger.privateKey })],
      ['not the registered alg', hs],
      ['client_id inside differs', rs256Object({ ...claims, client_id: plainClient.client_id })],
      ['response_type differs', rs256Object({ ...claims, response_type: 'code' })],
      ['request inside the object', rs256Object({ ...claims, request: 'x' })],
      ['request_uri inside the object', rs256Object({ ...claims, request_uri: 'https://client.example.org/r' })],
      ['not a JWT', Promise.resolve('garbage')],
    ];
    for (const [name, jwt] of cases) {
      const query = { client_id: rsClient.client_id, response_type: name === 'response_type differs' ? 'none' : 'code', redirect_uri: REDIRECT, scope: 'openid', state: 'q-state', request: await jwt };
      const res = await new Browser(srv.url).get(`/oauth/authorize?${new URLSearchParams(query)}`);
      expect(res.status, name).toBe(303);
      expectError(res, 'invalid_request_object', 'q-state');
    }
  });

  it.skipIf(skip)('HS256 with the client secret for a client_secret_jwt client; a client without keys cannot sign objects', async () => {
    const reg = await json(`${srv.url}/oauth/register`, {
      method: 'POST',
      headers: { authorization: `Bearer ${IAT}` },
      body: JSON.stringify({ redirect_uris: [REDIRECT], scope: 'openid profile', token_endpoint_auth_method: 'client_secret_jwt' }),
    });
    expect(reg.status, JSON.stringify(reg.json)).toBe(201);
    const id = reg.json['client_id'] as string;
    const secret = new TextEncoder().encode(reg.json['client_secret'] as string);
    const hs = await new SignJWT(requestClaims(id, 'h1')).setProtectedHeader({ alg: 'HS256' }).setIssuer(id).setAudience(dep.issuer).setIssuedAt().setExpirationTime('5m').sign(secret);
    const ok = location(await authorize(new Browser(srv.url), { client_id: id, response_type: 'code', scope: 'openid', request: hs }));
    expect(ok.searchParams.get('code')).toBeTruthy();
    expect(ok.searchParams.get('state')).toBe('h1');
    const wrong = await new SignJWT(requestClaims(id, 'h2')).setProtectedHeader({ alg: 'HS256' }).setIssuer(id).setAudience(dep.issuer).setExpirationTime('5m').sign(new TextEncoder().encode('x'.repeat(40)));
    expectError(await new Browser(srv.url).get(`/oauth/authorize?${new URLSearchParams({ client_id: id, redirect_uri: REDIRECT, response_type: 'code', state: 'h2', request: wrong })}`), 'invalid_request_object', 'h2');

    // plainClient (client_secret_basic, no jwks): neither RS256 nor HS256 can be verified.
    const rs = await rs256Object(requestClaims(plainClient.client_id, 'p1'), { iss: plainClient.client_id });
    expectError(await new Browser(srv.url).get(`/oauth/authorize?${new URLSearchParams({ client_id: plainClient.client_id, redirect_uri: REDIRECT, response_type: 'code', state: 'p1', request: rs })}`), 'invalid_request_object', 'p1');
    const plainHs = await new SignJWT(requestClaims(plainClient.client_id, 'p2')).setProtectedHeader({ alg: 'HS256' }).setIssuer(plainClient.client_id).setAudience(dep.issuer).setExpirationTime('5m').sign(new TextEncoder().encode(plainClient.client_secret!));
    expectError(await new Browser(srv.url).get(`/oauth/authorize?${new URLSearchParams({ client_id: plainClient.client_id, redirect_uri: REDIRECT, response_type: 'code', state: 'p2', request: plainHs })}`), 'invalid_request_object', 'p2');
  });

  it.skipIf(skip)('a bad object with an unregistered redirect_uri in the query: an error page, never a redirect', async () => {
    const request = await rs256Object(requestClaims(rsClient.client_id, 's'), { aud: null });
    const res = await new Browser(srv.url).get(`/oauth/authorize?${new URLSearchParams({ client_id: rsClient.client_id, redirect_uri: 'https://evil.example/cb', response_type: 'code', scope: 'openid', request })}`);
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.get('cache-control')).toContain('no-store');
  });

  it.skipIf(skip)('request object with ES256 via jwks_uri served by a local server (fetched through the outbound module)', async () => {
    const cfg = await config(ecClient);
    const { verifier, challenge } = pkce();
    const state = client.randomState();
    const url = await client.buildAuthorizationUrlWithJAR(
      cfg,
      { redirect_uri: REDIRECT, scope: 'openid email', response_type: 'code', state, code_challenge: challenge, code_challenge_method: 'S256', max_age: '300' },
      { key: ec.privateKey, kid: 'ec-1' },
    );
    const before = jwksHits;
    const callback = location(await authorize(new Browser(srv.url), Object.fromEntries(url.searchParams)));
    expect(jwksHits).toBeGreaterThan(before);
    const tokens = await client.authorizationCodeGrant(cfg, callback, { pkceCodeVerifier: verifier, expectedState: state, maxAge: 300 });
    // max_age inside the object was honoured: auth_time is in the ID token.
    expect(tokens.claims()!.auth_time).toBeTypeOf('number');
  });
});
