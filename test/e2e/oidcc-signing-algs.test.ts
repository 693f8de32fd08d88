/**
 * Issue 14, "every algorithm per client", mirroring the OpenID Foundation OP modules oidcc-idtoken-signature
 * (once per supported alg, each client registered dynamically as the Dynamic plan does), oidcc-userinfo-rs256
 * and a signed userinfo with ES256, and the registration refusal of an alg the server cannot sign with. ID tokens
 * and userinfo JWTs are verified by openid-client (non-repudiation checks on) and by jose through the JWKS.
 */
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, authorizeFlow } from '../helpers/flow.js';
import { basic, json, postForm } from '../helpers/http.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { createDeployment, DIALECTS, type Deployment, type ServerProcess } from '../helpers/server.js';

const pg = await postgresAvailable();
const REDIRECT = 'http://localhost:8080/callback';
const IAT = 'test-initial-access-token-0123456789';
const ALGS = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'] as const;

describe.each(DIALECTS)('oidcc signing algorithms (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let srv: ServerProcess;
  let jwks: ReturnType<typeof createRemoteJWKSet>;
  beforeAll(async () => {
    if (skip) return;
    dep = await createDeployment(dialect);
    srv = await dep.serve();
    jwks = createRemoteJWKSet(new URL(`${srv.url}/jwks.json`));
  }, 60_000);
  afterAll(async () => dep?.cleanup());

  const register = (body: Record<string, unknown>) =>
    json(`${srv.url}/oauth/register`, { method: 'POST', body: JSON.stringify(body), headers: { authorization: `Bearer ${IAT}` } });

  /** Registers a client dynamically with `metadata`, then discovers the server with openid-client for it. */
  const registered = async (metadata: Record<string, unknown>) => {
    const r = await register({ client_name: 'Signing RP', redirect_uris: [REDIRECT], grant_types: ['authorization_code'], scope: 'openid profile email', ...metadata });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    const id = r.json['client_id'] as string;
    const config = await client.discovery(new URL(dep.issuer), id, metadata as Partial<client.ClientMetadata>, client.ClientSecretBasic(r.json['client_secret'] as string), {
      execute: [client.allowInsecureRequests],
    });
    return { id, config, registration: r.json };
  };

  const codeFlow = async (id: string, config: client.Configuration) => {
    const flow = await authorizeFlow(new Browser(srv.url), { clientId: id, redirectUri: REDIRECT, scope: 'openid profile email' });
    return client.authorizationCodeGrant(config, flow.url, { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce, idTokenExpected: true });
  };

  it.skipIf(skip)('discovery and JWKS: every supported alg is advertised and has a published key', async () => {
    const meta = (await json(`${srv.url}/.well-known/openid-configuration`)).json;
    for (const field of ['id_token_signing_alg_values_supported', 'userinfo_signing_alg_values_supported']) {
      expect([...(meta[field] as string[])].sort(), field).toEqual([...ALGS].sort());
    }
    const keys = (await json(`${srv.url}/jwks.json`)).json['keys'] as Array<{ alg: string; use: string; d?: string }>;
    // An active and a next key per alg, both published (the next one before it ever signs).
    for (const alg of ALGS) expect(keys.filter((k) => k.alg === alg), alg).toHaveLength(2);
    expect(keys.every((k) => k.use === 'sig' && k.d === undefined)).toBe(true);
  });

  for (const alg of ALGS) {
    it.skipIf(skip)(`oidcc-idtoken-signature: ${alg} ID token, verified through the JWKS`, async () => {
      const { id, config, registration } = await registered({ id_token_signed_response_alg: alg });
      expect(registration['id_token_signed_response_alg']).toBe(alg);
      client.enableNonRepudiationChecks(config);
      const tokens = await codeFlow(id, config);
      const idToken = tokens.id_token!;
      expect(decodeProtectedHeader(idToken).alg).toBe(alg);
      const { payload, protectedHeader } = await jwtVerify(idToken, jwks, { issuer: dep.issuer, audience: id, algorithms: [alg] });
      expect(protectedHeader.kid).toBeTypeOf('string');
      expect(payload.sub).toBe(tokens.claims()!.sub);
      // The server verifies its own ID tokens in this alg too (id_token_hint at RP-Initiated Logout).
      const logout = await fetch(`${srv.url}/oauth/logout?${new URLSearchParams({ id_token_hint: idToken })}`, { redirect: 'manual' });
      expect(logout.status, await logout.text()).not.toBe(400);
    });
  }

  it.skipIf(skip)('oidcc-userinfo-rs256: userinfo answers application/jwt signed RS256 with iss and aud', async () => {
    const { id, config } = await registered({ userinfo_signed_response_alg: 'RS256' });
    const tokens = await codeFlow(id, config);
    const sub = tokens.claims()!.sub;
    const res = await fetch(`${srv.url}/oauth/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/jwt/);
    const { payload, protectedHeader } = await jwtVerify(await res.text(), jwks, { issuer: dep.issuer, audience: id, algorithms: ['RS256'] });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({ sub, email: 'admin@example.com', email_verified: true });
    // openid-client, told the client's userinfo_signed_response_alg, verifies the JWT itself.
    const info = await client.fetchUserInfo(config, tokens.access_token, sub);
    expect(info).toMatchObject({ sub, email: 'admin@example.com' });
  });

  it.skipIf(skip)('oidcc-userinfo-signed (ES256): signed userinfo with the client alg; a client without one gets JSON', async () => {
    const { id, config } = await registered({ userinfo_signed_response_alg: 'ES256', id_token_signed_response_alg: 'ES256' });
    const tokens = await codeFlow(id, config);
    const sub = tokens.claims()!.sub;
    const info = await client.fetchUserInfo(config, tokens.access_token, sub);
    expect(info.sub).toBe(sub);
    const res = await fetch(`${srv.url}/oauth/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    const jwt = await res.text();
    expect(decodeProtectedHeader(jwt).alg).toBe('ES256');
    await jwtVerify(jwt, jwks, { issuer: dep.issuer, audience: id, algorithms: ['ES256'] });

    const plain = await registered({});
    const plainTokens = await codeFlow(plain.id, plain.config);
    const r = await json(`${srv.url}/oauth/userinfo`, { headers: { authorization: `Bearer ${plainTokens.access_token}` } });
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(r.json['sub']).toBe(plainTokens.claims()!.sub);
  });

  it.skipIf(skip)('an unsupported or unsigned alg → invalid_client_metadata, for each signed response', async () => {
    for (const field of ['id_token_signed_response_alg', 'userinfo_signed_response_alg', 'introspection_signed_response_alg', 'authorization_signed_response_alg']) {
      for (const alg of ['none', 'HS256', 'ES512', 'RS1']) {
        const r = await register({ redirect_uris: [REDIRECT], grant_types: ['authorization_code'], [field]: alg });
        expect(r.status, `${field} ${alg}`).toBe(400);
        expect(r.json['error']).toBe('invalid_client_metadata');
        expect(r.json['error_description']).toContain(field);
      }
    }
  });

  it.skipIf(skip)('an operator may narrow security.signingAlgs: fewer keys, fewer advertised algs, the rest refused', async () => {
    const narrow = await createDeployment(dialect, { security: { signingAlgs: ['ES256'] } });
    try {
      const s = await narrow.serve();
      const meta = (await json(`${s.url}/.well-known/openid-configuration`)).json;
      // RS256 is always kept (OIDC Core §15.1).
      for (const field of ['id_token_signing_alg_values_supported', 'userinfo_signing_alg_values_supported', 'introspection_signing_alg_values_supported', 'authorization_signing_alg_values_supported']) {
        expect([...(meta[field] as string[])].sort(), field).toEqual(['ES256', 'RS256']);
      }
      const keys = (await json(`${s.url}/jwks.json`)).json['keys'] as Array<{ alg: string }>;
      expect(keys.map((k) => k.alg).sort()).toEqual(['ES256', 'ES256', 'RS256', 'RS256']);
      const r = await json(`${s.url}/oauth/register`, {
        method: 'POST',
        headers: { authorization: `Bearer ${IAT}` },
        body: JSON.stringify({ redirect_uris: [REDIRECT], grant_types: ['authorization_code'], id_token_signed_response_alg: 'EdDSA' }),
      });
      expect(r.status).toBe(400);
      expect(r.json).toMatchObject({ error: 'invalid_client_metadata', error_description: 'id_token_signed_response_alg: must be one of RS256, ES256' });
    } finally {
      await narrow.cleanup();
    }
  }, 60_000);

  it.skipIf(skip)('the admin API sets and changes the algs; a bad one is invalid_client_metadata', async () => {
    const op = JSON.parse((await dep.cli(['clients', 'create', '--name', 'Operator automation', '--scope', 'admin', '--json'])).stdout) as { client_id: string; client_secret: string };
    const cc = await postForm(`${srv.url}/oauth/token`, { grant_type: 'client_credentials', scope: 'admin' }, { authorization: basic(op.client_id, op.client_secret) });
    const headers = { authorization: `Bearer ${cc.json['access_token'] as string}` };
    const body = { client_name: 'Admin-made RP', redirect_uris: [REDIRECT], grant_types: ['authorization_code'], userinfo_signed_response_alg: 'PS256', authorization_signed_response_alg: 'EdDSA' };
    const created = await json(`${srv.url}/admin/api/v1/clients`, { method: 'POST', headers, body: JSON.stringify(body) });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    expect(created.json).toMatchObject({ userinfo_signed_response_alg: 'PS256', authorization_signed_response_alg: 'EdDSA' });
    const id = created.json['client_id'] as string;
    const updated = await json(`${srv.url}/admin/api/v1/clients/${id}`, { method: 'PUT', headers, body: JSON.stringify({ ...body, userinfo_signed_response_alg: 'ES384', introspection_signed_response_alg: 'ES256' }) });
    expect(updated.status, JSON.stringify(updated.json)).toBe(200);
    const shown = await json(`${srv.url}/admin/api/v1/clients/${id}`, { headers });
    expect(shown.json).toMatchObject({ userinfo_signed_response_alg: 'ES384', introspection_signed_response_alg: 'ES256', authorization_signed_response_alg: 'EdDSA' });
    const bad = await json(`${srv.url}/admin/api/v1/clients/${id}`, { method: 'PUT', headers, body: JSON.stringify({ ...body, authorization_signed_response_alg: 'HS256' }) });
    expect(bad.status).toBe(400);
    expect(bad.json['error']).toBe('invalid_client_metadata');
  });

  it.skipIf(skip)('the CLI sets every alg (clients create flags); a bad one is refused by name', async () => {
    const created = await dep.cli(['clients', 'create', '--redirect-uri', REDIRECT, '--grant', 'authorization_code', '--id-token-alg', 'EdDSA', '--userinfo-alg', 'PS256', '--introspection-alg', 'ES384', '--authorization-alg', 'ES256', '--json']);
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({
      id_token_signed_response_alg: 'EdDSA',
      userinfo_signed_response_alg: 'PS256',
      introspection_signed_response_alg: 'ES384',
      authorization_signed_response_alg: 'ES256',
    });
    const refused = await dep.cli(['clients', 'create', '--redirect-uri', REDIRECT, '--grant', 'authorization_code', '--userinfo-alg', 'HS256']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('userinfo_signed_response_alg');
  });
});
