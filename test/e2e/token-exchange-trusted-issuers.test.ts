/**
 * Issue 11, RFC 8693 token exchange of JWTs from an issuer the operator trusts (auth.tokenExchange.trustedIssuers),
 * through `gatehouse serve` with openid-client v6: the issuer's JWK Set is served by a local server (reached
 * through the outbound module, allowed to loopback here); its token, for a subject linked to a local account in
 * user_identities, is exchanged for our access token for that account; an unlinked subject, a client the issuer is
 * not trusted for, a wrong audience, a foreign key and an HMAC-signed token are refused; an external actor token
 * yields `act` naming the external issuer; scopes are cut to the issuer's.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey } from 'jose';
import { parse, stringify } from 'yaml';
import { createDeployment, DIALECTS, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { basic, postForm } from '../helpers/http.js';
import { queryDeployment } from '../helpers/deployment-db.js';

const pg = await postgresAvailable();
const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JWT = 'urn:ietf:params:oauth:token-type:jwt';
const PARTNER = 'https://partner.example.com';
const API_B = 'https://api.example.com';

describe.each(DIALECTS)('token exchange of trusted issuers\' JWTs (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let srv: ServerProcess;
  let jwks: Server;
  let partnerKey: CryptoKey;
  let app: { client_id: string; client_secret: string };
  let untrusted: { client_id: string; client_secret: string };
  let config: client.Configuration;
  let adminId: string;
  const linkedSubject = `partner-${randomUUID()}`;
  const now = () => Math.floor(Date.now() / 1000);

  const partnerToken = (claims: Record<string, unknown>, key: CryptoKey = partnerKey, alg = 'ES256') =>
    new SignJWT({ iss: PARTNER, aud: dep.issuer, iat: now(), exp: now() + 300, scope: 'profile email partner:admin', ...claims })
      .setProtectedHeader({ alg, kid: 'partner-1' })
      .sign(key);
  const exchange = (creds: typeof app, params: Record<string, string>) =>
    postForm(`${srv.url}/oauth/token`, { grant_type: GRANT, ...params }, { authorization: basic(creds.client_id, creds.client_secret) });
  const payloadOf = async (jwt: string) =>
    (await jwtVerify(jwt, createRemoteJWKSet(new URL(`${srv.url}/jwks.json`)), { issuer: dep.issuer, typ: 'at+jwt' })).payload;

  beforeAll(async () => {
    if (skip) return;
    const pair = await generateKeyPair('ES256');
    partnerKey = pair.privateKey;
    const publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'partner-1', alg: 'ES256', use: 'sig' };
    jwks = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [publicJwk] })));
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
    dep = await createDeployment(dialect, { outbound: { allowInsecureLoopback: true } });
    const create = async (name: string) => {
      const created = await dep.cli(['clients', 'create', '--name', name, '--grant', 'client_credentials', '--grant', GRANT, '--scope', 'openid profile email', '--resource', API_B, '--json']);
      expect(created.code, created.stderr).toBe(0);
      return JSON.parse(created.stdout) as typeof app;
    };
    app = await create('Partner gateway');
    untrusted = await create('Not trusted for the partner');
    // The operator trusts the partner's tokens for one client, with at most profile and email.
    const yaml = parse(readFileSync(dep.configPath, 'utf8')) as Record<string, Record<string, unknown>>;
    yaml['auth']!['tokenExchange'] = {
      trustedIssuers: [{ issuer: PARTNER, jwksUri: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks`, clients: [app.client_id], scopes: ['profile', 'email'], provider: 'partner' }],
    };
    writeFileSync(dep.configPath, stringify(yaml));
    // The person signed in with the partner before: their identity there is linked to the admin account.
    adminId = (await queryDeployment(dep, 'select id from users where email = ?', ['admin@example.com']))[0]!['id'] as string;
    await queryDeployment(dep, 'insert into user_identities (id, user_id, provider, subject, created_at) values (?, ?, ?, ?, ?)', [
      randomUUID(), adminId, 'partner', linkedSubject, Math.floor(Date.now() / 1000),
    ]);
    srv = await dep.serve();
    config = await client.discovery(new URL(dep.issuer), app.client_id, undefined, client.ClientSecretBasic(app.client_secret), { execute: [client.allowInsecureRequests] });
  }, 90_000);
  afterAll(async () => {
    await dep?.cleanup();
    jwks?.close();
  });

  it.skipIf(skip)("a linked subject's partner JWT becomes our access token for that account, its scope cut to the issuer's", async () => {
    const subject = await partnerToken({ sub: linkedSubject });
    const exchanged = await client.genericGrantRequest(config, GRANT, { subject_token: subject, subject_token_type: JWT, audience: API_B });
    expect(exchanged['issued_token_type']).toBe('urn:ietf:params:oauth:token-type:access_token');
    const claims = await payloadOf(exchanged.access_token);
    expect(claims).toMatchObject({ iss: dep.issuer, sub: adminId, aud: API_B, client_id: app.client_id, scope: 'profile email' });
    expect(claims.exp!).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 300 + 5);
    // Narrowing works; widening past what the partner token carries within the issuer's scopes is refused.
    expect((await exchange(app, { subject_token: subject, subject_token_type: JWT, scope: 'email' })).json['scope']).toBe('email');
    expect((await exchange(app, { subject_token: subject, subject_token_type: JWT, scope: 'partner:admin' })).json['error']).toBe('invalid_scope');
  });

  it.skipIf(skip)('an external actor token is named in act with its own issuer', async () => {
    const subject = await partnerToken({ sub: linkedSubject });
    const actor = await partnerToken({ sub: 'partner-batch-service' });
    const exchanged = await client.genericGrantRequest(config, GRANT, { subject_token: subject, subject_token_type: JWT, actor_token: actor, actor_token_type: JWT });
    expect((await payloadOf(exchanged.access_token))['act']).toEqual({ sub: 'partner-batch-service', iss: PARTNER });
  });

  it.skipIf(skip)('refuses an unlinked subject, an untrusted client, a wrong audience, a foreign key, HMAC and an unknown issuer', async () => {
    const refused = async (creds: typeof app, token: string) => {
      const r = await exchange(creds, { subject_token: token, subject_token_type: JWT });
      expect(r.status, JSON.stringify(r.json)).toBe(400);
      return r.json;
    };
    expect(await refused(app, await partnerToken({ sub: 'someone-never-linked' }))).toMatchObject({ error: 'invalid_request', error_description: expect.stringContaining('not linked') });
    expect((await refused(untrusted, await partnerToken({ sub: linkedSubject })))['error']).toBe('invalid_request');
    expect((await refused(app, await partnerToken({ sub: linkedSubject, aud: 'https://elsewhere.example.com' })))['error']).toBe('invalid_request');
    const stranger = await generateKeyPair('ES256');
    expect((await refused(app, await partnerToken({ sub: linkedSubject }, stranger.privateKey)))['error']).toBe('invalid_request');
    const hmac = new TextEncoder().encode('a-shared-secret-that-anyone-verifying-knows');
    const hmacToken = await new SignJWT({ sub: linkedSubject }).setProtectedHeader({ alg: 'HS256' }).setIssuer(PARTNER).setAudience(dep.issuer).setExpirationTime('5m').sign(hmac);
    expect((await refused(app, hmacToken))['error']).toBe('invalid_request');
    expect((await refused(app, await partnerToken({ sub: linkedSubject, iss: 'https://unknown.example.com' })))['error']).toBe('invalid_request');
    expect((await refused(app, await partnerToken({ sub: linkedSubject, exp: now() - 120 })))['error']).toBe('invalid_request');
    expect((await refused(app, await partnerToken({ sub: linkedSubject, exp: undefined })))['error']).toBe('invalid_request');
  });
});
