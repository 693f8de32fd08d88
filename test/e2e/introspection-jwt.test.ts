/**
 * Issue 14, RFC 9701 (JWT Response for OAuth Token Introspection): a caller that sends
 * `Accept: application/token-introspection+jwt` gets a JWT (`typ: token-introspection+jwt`; iss, aud = the
 * caller, iat, and the RFC 7662 response as `token_introspection`) signed with its
 * introspection_signed_response_alg (RS256 by default); any other caller still gets JSON. Checked with
 * oauth4webapi (which validates typ, iss, aud and then the signature through the JWKS) and with jose.
 */
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, json, postForm } from '../helpers/http.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { createDeployment, DIALECTS, type Deployment, type ServerProcess } from '../helpers/server.js';

const pg = await postgresAvailable();
const ACCEPT = 'application/token-introspection+jwt';

describe.each(DIALECTS)('RFC 9701 JWT introspection responses (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let srv: ServerProcess;
  let jwks: ReturnType<typeof createRemoteJWKSet>;
  let as: oauth.AuthorizationServer;
  const opts = { [oauth.allowInsecureRequests]: true };
  beforeAll(async () => {
    if (skip) return;
    dep = await createDeployment(dialect);
    srv = await dep.serve();
    jwks = createRemoteJWKSet(new URL(`${srv.url}/jwks.json`));
    as = await oauth.processDiscoveryResponse(new URL(dep.issuer), await oauth.discoveryRequest(new URL(dep.issuer), { ...opts, algorithm: 'oauth2' }));
  }, 60_000);
  afterAll(async () => dep?.cleanup());

  const machine = async (alg?: string) => {
    const created = await dep.cli(['clients', 'create', '--name', 'Resource server', '--scope', 'api:read', ...(alg ? ['--introspection-alg', alg] : []), '--json']);
    expect(created.code, created.stderr).toBe(0);
    return JSON.parse(created.stdout) as { client_id: string; client_secret: string };
  };
  const accessToken = async (c: { client_id: string; client_secret: string }) =>
    (await postForm(`${srv.url}/oauth/token`, { grant_type: 'client_credentials', scope: 'api:read' }, { authorization: basic(c.client_id, c.client_secret) })).json['access_token'] as string;
  const introspect = (c: { client_id: string; client_secret: string }, token: string, accept?: string) =>
    fetch(`${srv.url}/oauth/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(c.client_id, c.client_secret), ...(accept ? { accept } : {}) },
      body: new URLSearchParams({ token }).toString(),
    });

  it.skipIf(skip)('discovery advertises introspection_signing_alg_values_supported', async () => {
    const meta = (await json(`${srv.url}/.well-known/oauth-authorization-server`)).json;
    expect([...(meta['introspection_signing_alg_values_supported'] as string[])].sort()).toEqual(['ES256', 'ES384', 'EdDSA', 'PS256', 'RS256']);
  });

  it.skipIf(skip)('rfc9701-introspection-jwt: default RS256, typ token-introspection+jwt, verified by oauth4webapi and jose', async () => {
    const rs = await machine();
    const token = await accessToken(rs);
    const c: oauth.Client = { client_id: rs.client_id, introspection_signed_response_alg: 'RS256' };
    const response = await oauth.introspectionRequest(as, c, oauth.ClientSecretBasic(rs.client_secret), token, { ...opts, requestJwtResponse: true });
    expect(response.headers.get('content-type')).toMatch(/^application\/token-introspection\+jwt/);
    const result = await oauth.processIntrospectionResponse(as, c, response);
    expect(result).toMatchObject({ active: true, client_id: rs.client_id, scope: 'api:read', token_type: 'Bearer' });
    await oauth.validateApplicationLevelSignature(as, response, opts);

    const jwt = await (await introspect(rs, token, ACCEPT)).text();
    const { payload, protectedHeader } = await jwtVerify(jwt, jwks, { issuer: dep.issuer, audience: rs.client_id, typ: 'token-introspection+jwt', algorithms: ['RS256'] });
    expect(protectedHeader.kid).toBeTypeOf('string');
    expect(payload.iat).toBeTypeOf('number');
    expect(payload['token_introspection']).toMatchObject({ active: true, client_id: rs.client_id, iss: dep.issuer });
  });

  it.skipIf(skip)("rfc9701-introspection-jwt-alg: signed with the caller's introspection_signed_response_alg (ES256, EdDSA, PS256)", async () => {
    for (const alg of ['ES256', 'EdDSA', 'PS256']) {
      const rs = await machine(alg);
      const token = await accessToken(rs);
      const c: oauth.Client = { client_id: rs.client_id, introspection_signed_response_alg: alg };
      const response = await oauth.introspectionRequest(as, c, oauth.ClientSecretBasic(rs.client_secret), token, { ...opts, requestJwtResponse: true });
      const result = await oauth.processIntrospectionResponse(as, c, response);
      expect(result.active, alg).toBe(true);
      await oauth.validateApplicationLevelSignature(as, response, opts);
      const jwt = await (await introspect(rs, token, ACCEPT)).text();
      expect(decodeProtectedHeader(jwt)).toMatchObject({ alg, typ: 'token-introspection+jwt' });
    }
  });

  it.skipIf(skip)('an inactive token is a signed {active:false}; without the Accept header the answer stays JSON', async () => {
    const rs = await machine();
    const jwt = await (await introspect(rs, 'not-a-token', `application/json;q=0.5, ${ACCEPT}`)).text();
    const { payload } = await jwtVerify(jwt, jwks, { issuer: dep.issuer, audience: rs.client_id, typ: 'token-introspection+jwt' });
    expect(payload['token_introspection']).toEqual({ active: false });

    const plain = await introspect(rs, await accessToken(rs));
    expect(plain.headers.get('content-type')).toMatch(/^application\/json/);
    expect(((await plain.json()) as { active: boolean }).active).toBe(true);
    // q=0 means "not acceptable": JSON.
    const refused = await introspect(rs, 'not-a-token', `${ACCEPT};q=0`);
    expect(refused.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it.skipIf(skip)('errors stay RFC 6749 JSON: bad client credentials, missing token', async () => {
    const rs = await machine();
    const bad = await introspect({ ...rs, client_secret: 'wrong-secret-value' }, 'x', ACCEPT);
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as { error: string }).error).toBe('invalid_client');
    const missing = await fetch(`${srv.url}/oauth/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(rs.client_id, rs.client_secret), accept: ACCEPT },
      body: '',
    });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: string }).error).toBe('invalid_request');
  });
});
