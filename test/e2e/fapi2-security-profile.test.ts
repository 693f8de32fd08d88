/**
 * FAPI 2.0 Security Profile (Final), the private_key_jwt + DPoP variant, through `gatehouse serve` with
 * oauth4webapi (a certified FAPI 2.0 client library). Each test is named after the OpenID Foundation
 * conformance module (fapi2-security-profile-final-test-plan) whose behaviour it checks.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oauth from 'oauth4webapi';
import { decodeJwt, exportJWK, generateKeyPair, SignJWT, calculateJwkThumbprint } from 'jose';
import { ADMIN_PASSWORD, createDeployment, DIALECTS, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { postForm } from '../helpers/http.js';
import { Browser } from '../helpers/flow.js';

const pg = await postgresAvailable();
const REDIRECT = 'https://rp.example.test/cb';
const insecure = { [oauth.allowInsecureRequests]: true } as const;
type Keys = Awaited<ReturnType<typeof generateKeyPair>>;

describe.each(DIALECTS)('FAPI 2.0 Security Profile, private_key_jwt + DPoP (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let srv: ServerProcess;
  let as: oauth.AuthorizationServer;
  let rp: oauth.Client;
  let clientKey: Keys;
  let rsaKey: Keys;
  let auth: oauth.ClientAuth;

  beforeAll(async () => {
    if (skip) return;
    dep = await createDeployment(dialect);
    srv = await dep.serve();
    clientKey = (await generateKeyPair('ES256', { extractable: true })) as Keys;
    rsaKey = (await generateKeyPair('RS256', { extractable: true })) as Keys;
    const jwks = { keys: [{ ...(await exportJWK(clientKey.publicKey)), kid: 'es', alg: 'ES256' }, { ...(await exportJWK(rsaKey.publicKey)), kid: 'rs' }] };
    const file = join(dep.dir, 'fapi-jwks.json');
    writeFileSync(file, JSON.stringify(jwks));
    const created = await dep.cli(['clients', 'create', '--name', 'FAPI app', '--fapi', '--auth', 'private_key_jwt', '--jwks', file, '--redirect-uri', REDIRECT, '--grant', 'authorization_code', '--grant', 'refresh_token', '--scope', 'openid offline_access', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const issuer = new URL(dep.issuer);
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
    rp = { client_id: JSON.parse(created.stdout).client_id, id_token_signed_response_alg: 'PS256' };
    auth = oauth.PrivateKeyJwt({ key: clientKey.privateKey, kid: 'es' });
  });
  afterAll(async () => dep?.cleanup());

  const pushParams = async (verifier: string, extra: Record<string, string> = {}) =>
    new URLSearchParams({ response_type: 'code', redirect_uri: REDIRECT, scope: 'openid offline_access', state: 'fapi-state', code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...extra });

  /** PAR with a DPoP proof, the person signs in and consents, the code comes back to the redirect URI. */
  async function authorize(dpop: oauth.DPoPHandle, verifier: string): Promise<URL> {
    const pushed = await oauth.processPushedAuthorizationResponse(as, rp, await oauth.pushedAuthorizationRequest(as, rp, auth, await pushParams(verifier), { ...insecure, DPoP: dpop }));
    const browser = new Browser(srv.url);
    let res = await browser.get(`/oauth/authorize?client_id=${rp.client_id}&request_uri=${encodeURIComponent(pushed.request_uri)}`);
    res = await browser.submit(await res.text(), { username: 'admin@example.com', password: ADMIN_PASSWORD });
    if (res.status === 200) res = await browser.submit(await res.text());
    expect(res.status).toBe(303);
    return new URL(res.headers.get('location')!);
  }

  async function tokens(): Promise<{ dpop: oauth.DPoPHandle; keys: Keys; result: oauth.TokenEndpointResponse }> {
    const keys = (await generateKeyPair('ES256', { extractable: true })) as Keys;
    const dpop = oauth.DPoP(rp, keys);
    const verifier = oauth.generateRandomCodeVerifier();
    const callback = await authorize(dpop, verifier);
    const checked = oauth.validateAuthResponse(as, rp, callback, 'fapi-state');
    const res = await oauth.authorizationCodeGrantRequest(as, rp, auth, checked, REDIRECT, verifier, { ...insecure, DPoP: dpop });
    return { dpop, keys, result: await oauth.processAuthorizationCodeResponse(as, rp, res) };
  }

  it.skipIf(skip)('fapi2-security-profile-final-discovery-endpoint-verification', () => {
    expect(as.pushed_authorization_request_endpoint).toBe(`${dep.issuer}/oauth/par`);
    expect(as.code_challenge_methods_supported).toEqual(['S256']);
    expect(as.dpop_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256', 'PS256']));
    expect(as.token_endpoint_auth_methods_supported).toContain('private_key_jwt');
    expect(as.authorization_response_iss_parameter_supported).toBe(true);
  });

  it.skipIf(skip)('fapi2-security-profile-final-happy-flow: PAR, PKCE, DPoP-bound tokens, iss in the response, PS256 ID token, userinfo', async () => {
    const { dpop, keys, result } = await tokens();
    expect(result.token_type).toBe('dpop');
    const claims = decodeJwt(result.access_token);
    expect((claims['cnf'] as { jkt: string }).jkt).toBe(await calculateJwkThumbprint(await exportJWK(keys.publicKey)));
    const idToken = oauth.getValidatedIdTokenClaims(result);
    expect(idToken?.iss).toBe(dep.issuer);
    const info = await oauth.userInfoRequest(as, rp, result.access_token, { ...insecure, DPoP: dpop });
    expect(info.status).toBe(200);
  });

  it.skipIf(skip)('fapi2-security-profile-final-ensure-holder-of-key-required: no DPoP proof at the token endpoint', async () => {
    const keys = (await generateKeyPair('ES256', { extractable: true })) as Keys;
    const verifier = oauth.generateRandomCodeVerifier();
    const callback = await authorize(oauth.DPoP(rp, keys), verifier);
    const checked = oauth.validateAuthResponse(as, rp, callback, 'fapi-state');
    const res = await oauth.authorizationCodeGrantRequest(as, rp, auth, checked, REDIRECT, verifier, insecure);
    expect(res.status).toBe(400);
    expect(['invalid_request', 'invalid_grant', 'invalid_dpop_proof']).toContain(((await res.json()) as { error: string }).error);
  });

  it.skipIf(skip)('fapi2-security-profile-final-ensure-unsigned-authorization-request-without-using-par-fails', async () => {
    const verifier = oauth.generateRandomCodeVerifier();
    const params = await pushParams(verifier);
    params.set('client_id', rp.client_id);
    const res = await new Browser(srv.url).get(`/oauth/authorize?${params}`);
    expect(res.status).toBe(303);
    const location = new URL(res.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('iss')).toBe(dep.issuer);
  });

  it.skipIf(skip)('fapi2-security-profile-final-par-ensure-pkce-required and -ensure-response-type-code-idtoken-fails', async () => {
    const verifier = oauth.generateRandomCodeVerifier();
    const noPkce = await pushParams(verifier);
    noPkce.delete('code_challenge');
    noPkce.delete('code_challenge_method');
    const res = await oauth.pushedAuthorizationRequest(as, rp, auth, noPkce, insecure);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_request');
    const hybrid = await oauth.pushedAuthorizationRequest(as, rp, auth, await pushParams(verifier, { response_type: 'code id_token' }), insecure);
    expect(hybrid.status).toBe(400);
    expect(['unsupported_response_type', 'invalid_request']).toContain(((await hybrid.json()) as { error: string }).error);
  });

  it.skipIf(skip)('fapi2-security-profile-final-ensure-mismatched-dpop-jkt-fails: dpop_jkt and the PAR proof disagree', async () => {
    const a = (await generateKeyPair('ES256', { extractable: true })) as Keys;
    const b = (await generateKeyPair('ES256', { extractable: true })) as Keys;
    const params = await pushParams(oauth.generateRandomCodeVerifier(), { dpop_jkt: await calculateJwkThumbprint(await exportJWK(a.publicKey)) });
    const res = await oauth.pushedAuthorizationRequest(as, rp, auth, params, { ...insecure, DPoP: oauth.DPoP(rp, b) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_dpop_proof');
  });

  const assertion = async (key: Keys['privateKey'], alg: string, kid: string, aud: string | string[]) =>
    new SignJWT({ jti: crypto.randomUUID() }).setProtectedHeader({ alg, kid }).setIssuer(rp.client_id).setSubject(rp.client_id).setAudience(aud).setIssuedAt().setExpirationTime('60s').sign(key);
  const pushWith = async (clientAssertion: string) =>
    postForm(`${srv.url}/oauth/par`, { ...Object.fromEntries(await pushParams(oauth.generateRandomCodeVerifier())), client_id: rp.client_id, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: clientAssertion });

  it.skipIf(skip)('fapi2-security-profile-final-ensure-signed-client-assertion-with-rs256-fails', async () => {
    const res = await pushWith(await assertion(rsaKey.privateKey, 'RS256', 'rs', dep.issuer));
    expect(res.status).toBe(401);
    expect(res.json['error']).toBe('invalid_client');
    expect((await pushWith(await assertion(clientKey.privateKey, 'ES256', 'es', dep.issuer))).status).toBe(201);
  });

  it.skipIf(skip)('fapi2-security-profile-final-par-endpoint-as-audience-fails and -par-endpoint-as-array-audience-fails', async () => {
    for (const aud of [`${dep.issuer}/oauth/par`, [`${dep.issuer}/oauth/par`], `${dep.issuer}/oauth/token`, [dep.issuer]]) {
      const res = await pushWith(await assertion(clientKey.privateKey, 'ES256', 'es', aud));
      expect(res.status, JSON.stringify(aud)).toBe(401);
      expect(res.json['error']).toBe('invalid_client');
    }
  });

  it.skipIf(skip)('fapi2-security-profile-final-refresh-token: DPoP-bound, not rotated, usable again', async () => {
    const { dpop, result } = await tokens();
    const refreshToken = result.refresh_token!;
    for (let i = 0; i < 2; i++) {
      const res = await oauth.refreshTokenGrantRequest(as, rp, auth, refreshToken, { ...insecure, DPoP: dpop });
      const refreshed = await oauth.processRefreshTokenResponse(as, rp, res);
      expect(refreshed.token_type).toBe('dpop');
      expect(refreshed.refresh_token).toBeUndefined();
    }
  });

  it.skipIf(skip)('registration: a profile client must be confidential, use private_key_jwt or mTLS, and https redirect URIs', async () => {
    const secretClient = await dep.cli(['clients', 'create', '--name', 'Not FAPI', '--fapi', '--redirect-uri', REDIRECT, '--json']);
    expect(secretClient.code).not.toBe(0);
    expect(secretClient.stderr + secretClient.stdout).toMatch(/token_endpoint_auth_method/);
    const plainHttp = await dep.cli(['clients', 'create', '--name', 'Not FAPI', '--fapi', '--auth', 'private_key_jwt', '--jwks', join(dep.dir, 'fapi-jwks.json'), '--redirect-uri', 'http://localhost:8080/cb', '--json']);
    expect(plainHttp.code).not.toBe(0);
    expect(plainHttp.stderr + plainHttp.stdout).toMatch(/https/);
  });
});
