/**
 * Issue 11: DPoP (RFC 9449) through `gatehouse serve`, with the server requiring nonces: oauth4webapi's and
 * openid-client's DPoP handles (nonce challenge and automatic retry), DPoP-bound tokens (`cnf.jkt`, token_type
 * DPoP, introspection), userinfo with and without proof, public-client refresh bound to the key, `dpop_jkt`,
 * `dpop_bound_access_tokens`, and two nodes on one database accepting each other's nonces and refusing each
 * other's replayed jtis.
 */
import { createHash, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createDeployment, DIALECTS, freePort, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { basic, postForm } from '../helpers/http.js';
import { Browser, authorizeFlow } from '../helpers/flow.js';

const pg = await postgresAvailable();
const REDIRECT = 'http://localhost:8080/callback';
const insecure = { [oauth.allowInsecureRequests]: true } as const;

type Keys = Awaited<ReturnType<typeof generateKeyPair>>;
const newKeys = () => generateKeyPair('ES256', { extractable: true }) as Promise<Keys>;
const thumbprint = async (keys: Keys) => calculateJwkThumbprint(await exportJWK(keys.publicKey), 'sha256');

/** A proof built by hand (for the cases a client library would never send). */
async function proof(keys: Keys, htu: string, claims: Record<string, unknown> = {}, htm = 'POST'): Promise<string> {
  return new SignJWT({ htm, htu, jti: randomUUID(), iat: Math.floor(Date.now() / 1000), ...claims })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(keys.publicKey) })
    .sign(keys.privateKey);
}

/** Retries once on use_dpop_nonce, as RFC 9449 §8 has clients do (the handle has cached the nonce). */
async function withNonce<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (!oauth.isDPoPNonceError(err)) throw err;
    return call();
  }
}

describe.each(DIALECTS)('DPoP (RFC 9449) (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let srv: ServerProcess;
  let svc: { client_id: string; client_secret: string };
  let spa: { client_id: string };
  let bound: { client_id: string; client_secret: string };
  let token: string;
  beforeAll(async () => {
    if (skip) return;
    dep = await createDeployment(dialect, { auth: { dpop: { requireNonce: true } } });
    srv = await dep.serve();
    token = `${dep.issuer}/oauth/token`;
    const create = async (args: string[]) => {
      const r = await dep.cli(['clients', 'create', ...args, '--json']);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout);
    };
    svc = await create(['--name', 'Service', '--scope', 'api:read']);
    spa = await create(['--name', 'SPA', '--public', '--redirect-uri', REDIRECT, '--grant', 'authorization_code', '--grant', 'refresh_token', '--scope', 'openid profile offline_access']);
    const metadata = join(dep.dir, 'bound.json');
    writeFileSync(metadata, JSON.stringify({ dpop_bound_access_tokens: true }));
    bound = await create(['--name', 'Bound', '--scope', 'api:read', '--metadata', metadata]);
  }, 60_000);
  afterAll(async () => dep?.cleanup());

  const nonceOf = async (base = srv.url) => {
    const r = await postForm(`${base}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(svc.client_id, svc.client_secret), dpop: await proof(await newKeys(), token) });
    expect(r.json['error']).toBe('use_dpop_nonce');
    return r.headers.get('dpop-nonce')!;
  };
  const introspect = (t: string) => postForm(`${srv.url}/oauth/introspect`, { token: t }, { authorization: basic(svc.client_id, svc.client_secret) });

  it.skipIf(skip)('discovery advertises the proof algs; a proof without nonce is answered 400 use_dpop_nonce with DPoP-Nonce', async () => {
    const meta = (await (await fetch(`${srv.url}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    expect(meta['dpop_signing_alg_values_supported']).toEqual(['ES256', 'ES384', 'PS256', 'RS256', 'EdDSA']);
    const r = await postForm(`${srv.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(svc.client_id, svc.client_secret), dpop: await proof(await newKeys(), token) });
    expect(r.status).toBe(400);
    expect(r.json['error']).toBe('use_dpop_nonce');
    expect(r.headers.get('dpop-nonce')).toMatch(/^[\w-]{22}$/);
  });

  it.skipIf(skip)('openid-client: client_credentials with a DPoP handle retries the nonce challenge and gets a DPoP token with cnf.jkt', async () => {
    const config = await client.discovery(new URL(dep.issuer), svc.client_id, undefined, client.ClientSecretBasic(svc.client_secret), { execute: [client.allowInsecureRequests] });
    const keys = await client.randomDPoPKeyPair('ES256');
    const tokens = await client.clientCredentialsGrant(config, { scope: 'api:read' }, { DPoP: client.getDPoPHandle(config, keys) });
    expect(tokens.token_type).toBe('dpop');
    const jkt = await thumbprint(keys as Keys);
    expect(decodeJwt(tokens.access_token)['cnf']).toEqual({ jkt });
    const intro = await introspect(tokens.access_token);
    expect(intro.json).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt } });
  });

  it.skipIf(skip)('refuses a proof for another htu, a replayed jti, two DPoP headers, a private jwk, and a bound client without proof', async () => {
    const keys = await newKeys();
    const nonce = await nonceOf();
    const auth = { authorization: basic(svc.client_id, svc.client_secret) };
    const cc = { grant_type: 'client_credentials' };
    const wrongHtu = await postForm(`${srv.url}/oauth/token`, cc, { ...auth, dpop: await proof(keys, `${dep.issuer}/oauth/other`, { nonce }) });
    expect([wrongHtu.status, wrongHtu.json['error']]).toEqual([400, 'invalid_dpop_proof']);
    const once = await proof(keys, token, { nonce });
    expect((await postForm(`${srv.url}/oauth/token`, cc, { ...auth, dpop: once })).json['token_type']).toBe('DPoP');
    const replay = await postForm(`${srv.url}/oauth/token`, cc, { ...auth, dpop: once });
    expect([replay.status, replay.json['error']]).toEqual([400, 'invalid_dpop_proof']);
    const two = await fetch(`${srv.url}/oauth/token`, {
      method: 'POST',
      headers: [['content-type', 'application/x-www-form-urlencoded'], ['authorization', auth.authorization], ['dpop', await proof(keys, token, { nonce })], ['dpop', await proof(keys, token, { nonce })]],
      body: 'grant_type=client_credentials',
    });
    expect([two.status, ((await two.json()) as Record<string, unknown>)['error']]).toEqual([400, 'invalid_dpop_proof']);
    const priv = await exportJWK(keys.privateKey);
    const withPrivate = await new SignJWT({ htm: 'POST', htu: token, jti: randomUUID(), iat: Math.floor(Date.now() / 1000), nonce })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: priv })
      .sign(keys.privateKey);
    expect((await postForm(`${srv.url}/oauth/token`, cc, { ...auth, dpop: withPrivate })).json['error']).toBe('invalid_dpop_proof');
    const noProof = await postForm(`${srv.url}/oauth/token`, cc, { authorization: basic(bound.client_id, bound.client_secret) });
    expect([noProof.status, noProof.json['error']]).toEqual([400, 'invalid_dpop_proof']);
    const withProof = await postForm(`${srv.url}/oauth/token`, cc, { authorization: basic(bound.client_id, bound.client_secret), dpop: await proof(keys, token, { nonce }) });
    expect(withProof.json['token_type']).toBe('DPoP');
  });

  it.skipIf(skip)('oauth4webapi: public client code flow, userinfo with proof (ath), not as Bearer, refresh bound to the key', async () => {
    const as = await oauth.processDiscoveryResponse(new URL(dep.issuer), await oauth.discoveryRequest(new URL(dep.issuer), insecure));
    const c: oauth.Client = { client_id: spa.client_id };
    const keys = await oauth.generateKeyPair('ES256', { extractable: true });
    const DPoP = oauth.DPoP(c, keys);
    const flow = await authorizeFlow(new Browser(srv.url), { clientId: spa.client_id, redirectUri: REDIRECT, scope: 'openid profile offline_access' });
    const params = oauth.validateAuthResponse(as, c, flow.url, flow.state);
    const tokens = await withNonce(async () =>
      oauth.processAuthorizationCodeResponse(as, c, await oauth.authorizationCodeGrantRequest(as, c, oauth.None(), params, REDIRECT, flow.verifier, { DPoP, ...insecure }), { expectedNonce: flow.nonce }),
    );
    expect(tokens.token_type).toBe('dpop');
    const jkt = await thumbprint(keys as Keys);
    expect(decodeJwt(tokens.access_token)['cnf']).toEqual({ jkt });

    const info = await withNonce(async () => oauth.processUserInfoResponse(as, c, oauth.skipSubjectCheck, await oauth.userInfoRequest(as, c, tokens.access_token, { DPoP, ...insecure })));
    expect(info.sub).toBeTypeOf('string');
    // A DPoP-bound token as a bearer token, or with the DPoP scheme but no proof, is refused.
    const asBearer = await fetch(`${srv.url}/oauth/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(asBearer.status).toBe(401);
    expect(asBearer.headers.get('www-authenticate')).toContain('error="invalid_token"');
    const noProof = await fetch(`${srv.url}/oauth/userinfo`, { headers: { authorization: `DPoP ${tokens.access_token}` } });
    expect(noProof.status).toBe(401);
    expect(noProof.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_dpop_proof", algs="ES256/);
    // A proof without the nonce: 401 use_dpop_nonce with the nonce; with a wrong ath: invalid_dpop_proof.
    const userinfo = `${dep.issuer}/oauth/userinfo`;
    const ath = createHash('sha256').update(tokens.access_token).digest('base64url');
    const stale = await fetch(`${srv.url}/oauth/userinfo`, { headers: { authorization: `DPoP ${tokens.access_token}`, dpop: await proof(keys as Keys, userinfo, { ath }, 'GET') } });
    expect(stale.status).toBe(401);
    expect(stale.headers.get('www-authenticate')).toContain('error="use_dpop_nonce"');
    const nonce = stale.headers.get('dpop-nonce')!;
    const badAth = await fetch(`${srv.url}/oauth/userinfo`, { headers: { authorization: `DPoP ${tokens.access_token}`, dpop: await proof(keys as Keys, userinfo, { ath: 'x', nonce }, 'GET') } });
    expect(badAth.headers.get('www-authenticate')).toContain('error="invalid_dpop_proof"');

    // RFC 9449 §5: the public client's refresh token needs a proof of the same key.
    const other = await newKeys();
    const refresh = (dpop: string) => postForm(`${srv.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: spa.client_id }, { dpop });
    const wrongKey = await refresh(await proof(other, token, { nonce }));
    expect(wrongKey.json['error']).toBe('invalid_grant');
    const noKey = await postForm(`${srv.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: spa.client_id });
    expect(noKey.json['error']).toBe('invalid_grant');
    const refreshed = await withNonce(async () => oauth.processRefreshTokenResponse(as, c, await oauth.refreshTokenGrantRequest(as, c, oauth.None(), tokens.refresh_token!, { DPoP, ...insecure })));
    expect(refreshed.token_type).toBe('dpop');
    expect(decodeJwt(refreshed.access_token)['cnf']).toEqual({ jkt });
  });

  it.skipIf(skip)('dpop_jkt at the authorization endpoint binds the code to that key', async () => {
    const keys = await newKeys();
    const flow = await authorizeFlow(new Browser(srv.url), { clientId: spa.client_id, redirectUri: REDIRECT, scope: 'openid', extra: { dpop_jkt: await thumbprint(keys) } });
    const nonce = await nonceOf();
    const redeem = async (k: Keys) =>
      postForm(`${srv.url}/oauth/token`, { grant_type: 'authorization_code', code: flow.code!, code_verifier: flow.verifier, redirect_uri: REDIRECT, client_id: spa.client_id }, { dpop: await proof(k, token, { nonce }) });
    expect((await redeem(await newKeys())).json['error']).toBe('invalid_grant');
    const second = await authorizeFlow(new Browser(srv.url), { clientId: spa.client_id, redirectUri: REDIRECT, scope: 'openid', extra: { dpop_jkt: await thumbprint(keys) } });
    const ok = await postForm(`${srv.url}/oauth/token`, { grant_type: 'authorization_code', code: second.code!, code_verifier: second.verifier, redirect_uri: REDIRECT, client_id: spa.client_id }, { dpop: await proof(keys, token, { nonce }) });
    expect(ok.json['token_type']).toBe('DPoP');
    const malformed = await new Browser(srv.url).get(`/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: spa.client_id, redirect_uri: REDIRECT, scope: 'openid', state: 's', code_challenge: flow.challenge, code_challenge_method: 'S256', dpop_jkt: 'short' })}`);
    expect(new URL(malformed.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
  });

  it.skipIf(skip)('an opaque access token keeps its binding: introspection shows cnf.jkt and token_type DPoP', async () => {
    const r = await dep.cli(['clients', 'create', '--name', 'Opaque', '--scope', 'api:read', '--access-token-format', 'opaque', '--json']);
    const opaque = JSON.parse(r.stdout) as { client_id: string; client_secret: string };
    const keys = await newKeys();
    const issued = await postForm(`${srv.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(opaque.client_id, opaque.client_secret), dpop: await proof(keys, token, { nonce: await nonceOf() }) });
    expect(issued.json['token_type']).toBe('DPoP');
    const intro = await postForm(`${srv.url}/oauth/introspect`, { token: issued.json['access_token'] as string }, { authorization: basic(opaque.client_id, opaque.client_secret) });
    expect(intro.json).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: await thumbprint(keys) } });
  });

  it.skipIf(skip)('two nodes on one database accept each other\'s nonces and refuse each other\'s replayed jtis', async () => {
    const b = await dep.serve(await freePort());
    const keys = await newKeys();
    const nonce = await nonceOf(srv.url);
    const auth = { authorization: basic(svc.client_id, svc.client_secret) };
    const once = await proof(keys, token, { nonce });
    const onB = await postForm(`${b.url}/oauth/token`, { grant_type: 'client_credentials' }, { ...auth, dpop: once });
    expect(onB.json['token_type']).toBe('DPoP');
    expect(onB.headers.get('dpop-nonce')).toMatch(/^[\w-]{22}$/);
    const replayOnA = await postForm(`${srv.url}/oauth/token`, { grant_type: 'client_credentials' }, { ...auth, dpop: once });
    expect(replayOnA.json['error']).toBe('invalid_dpop_proof');
  });
});
