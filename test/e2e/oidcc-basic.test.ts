/**
 * The OpenID Foundation's OP Basic, Config and Form Post plans, module by module (the modules other files own —
 * claims, request objects, signing algorithms, prompts, logout — are named there). Each `it` is named after the
 * conformance-suite module it mirrors and checks what that module checks, against the real `gatehouse serve`,
 * with oauth4webapi (a certified RP library) and openid-client as the relying party.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { createDeployment, DEMO_SECRET, DIALECTS, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { basic, postForm } from '../helpers/http.js';
import { Browser, authorizeFlow, forms, pkce } from '../helpers/flow.js';

const pg = await postgresAvailable();
const REDIRECT = 'http://localhost:8080/callback';
const DEMO = 'demo-client';

describe.each(DIALECTS)('OIDF OP Basic / Config / Form Post modules (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let srv: ServerProcess;
  let as: oauth.AuthorizationServer;
  let config: client.Configuration;
  const rp: oauth.Client = { client_id: DEMO };
  const rpAuth = oauth.ClientSecretBasic(DEMO_SECRET);
  const options = { [oauth.allowInsecureRequests]: true } as const;

  beforeAll(async () => {
    if (skip) return;
    dep = await createDeployment(dialect, { auth: { codeExpiry: 3 } });
    srv = await dep.serve();
    as = await oauth.processDiscoveryResponse(new URL(dep.issuer), await oauth.discoveryRequest(new URL(dep.issuer), { ...options, algorithm: 'oidc' }));
    config = await client.discovery(new URL(dep.issuer), DEMO, undefined, client.ClientSecretBasic(DEMO_SECRET), { execute: [client.allowInsecureRequests] });
  }, 60_000);
  afterAll(async () => dep?.cleanup());

  /** authorize → login → consent → the callback URL, validated by oauth4webapi. */
  const signIn = async (extra: Record<string, string> = {}, browser = new Browser(srv.url)) => {
    const flow = await authorizeFlow(browser, { clientId: DEMO, redirectUri: REDIRECT, scope: 'openid profile email offline_access', extra });
    return { browser, flow };
  };
  const redeem = async (flow: Awaited<ReturnType<typeof signIn>>['flow'], expectNonce = true) => {
    const params = oauth.validateAuthResponse(as, rp, flow.url, flow.state);
    const res = await oauth.authorizationCodeGrantRequest(as, rp, rpAuth, params, REDIRECT, flow.verifier, options);
    return oauth.processAuthorizationCodeResponse(as, rp, res, { expectedNonce: expectNonce ? flow.nonce : oauth.expectNoNonce, requireIdToken: true });
  };
  const authorizeUrl = (params: Record<string, string>) => `/oauth/authorize?${new URLSearchParams(params)}`;

  it.skipIf(skip)('oidcc-discovery-endpoint-verification: the Config plan checks of the discovery document', async () => {
    const res = await fetch(`${srv.url}/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const d = (await res.json()) as Record<string, unknown>;
    expect(d['issuer']).toBe(dep.issuer);
    for (const k of ['authorization_endpoint', 'token_endpoint', 'jwks_uri', 'userinfo_endpoint']) expect(String(d[k])).toMatch(new RegExp(`^${dep.issuer}/`));
    expect(d['response_types_supported']).toContain('code');
    expect(d['subject_types_supported']).toContain('public');
    expect(d['id_token_signing_alg_values_supported']).toContain('RS256');
    expect(d['scopes_supported']).toContain('openid');
    expect(d['grant_types_supported']).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token']));
    expect(d['token_endpoint_auth_methods_supported']).toEqual(expect.arrayContaining(['client_secret_basic', 'client_secret_post']));
    expect(Array.isArray(d['claims_supported'])).toBe(true);
    // The JWKS it names answers with usable public keys only.
    const jwks = (await (await fetch(String(d['jwks_uri']))).json()) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys.length).toBeGreaterThan(0);
    for (const k of jwks.keys) {
      expect(k['kid']).toBeTypeOf('string');
      expect(k['d']).toBeUndefined();
    }
  });

  it.skipIf(skip)('oidcc-server: a code flow whose ID token passes every OIDC Core §3.1.3.7 check', async () => {
    const { flow } = await signIn();
    expect(flow.url.searchParams.get('iss')).toBe(dep.issuer);
    expect(flow.url.searchParams.get('state')).toBe(flow.state);
    const result = await redeem(flow);
    const claims = oauth.getValidatedIdTokenClaims(result)!;
    expect(claims.iss).toBe(dep.issuer);
    expect(claims.aud).toBe(DEMO); // oidcc-id-token-aud-single-value: a string when there is one audience
    expect(claims.sub.length).toBeLessThanOrEqual(255);
    expect(claims.exp).toBeGreaterThan(claims.iat);
    expect(Math.abs(claims.iat - Date.now() / 1000)).toBeLessThan(60);
    expect(result.token_type.toLowerCase()).toBe('bearer');
    const header = JSON.parse(Buffer.from(result.id_token!.split('.')[0]!, 'base64url').toString()) as Record<string, unknown>;
    expect(header['kid']).toBeTypeOf('string');
  });

  it.skipIf(skip)('oidcc-server-client-secret-post: the same flow with client_secret_post', async () => {
    const created = await dep.cli(['clients', 'create', '--redirect-uri', REDIRECT, '--grant', 'authorization_code', '--auth', 'client_secret_post', '--scope', 'openid', '--json']);
    const post = JSON.parse(created.stdout) as { client_id: string; client_secret: string };
    const postRp: oauth.Client = { client_id: post.client_id };
    const flow = await authorizeFlow(new Browser(srv.url), { clientId: post.client_id, redirectUri: REDIRECT, scope: 'openid' });
    const params = oauth.validateAuthResponse(as, postRp, flow.url, flow.state);
    const res = await oauth.authorizationCodeGrantRequest(as, postRp, oauth.ClientSecretPost(post.client_secret), params, REDIRECT, flow.verifier, options);
    const result = await oauth.processAuthorizationCodeResponse(as, postRp, res, { expectedNonce: flow.nonce, requireIdToken: true });
    expect(result.access_token).toBeTypeOf('string');
  });

  it.skipIf(skip)('oidcc-response-type-missing: redirected back with invalid_request, state and iss', async () => {
    const res = await new Browser(srv.url).get(authorizeUrl({ client_id: DEMO, redirect_uri: REDIRECT, scope: 'openid', state: 'st-1', code_challenge: pkce().challenge, code_challenge_method: 'S256' }));
    expect(res.status).toBe(303);
    const back = new URL(res.headers.get('location')!);
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('state')).toBe('st-1');
    expect(back.searchParams.get('iss')).toBe(dep.issuer);
  });

  it.skipIf(skip)('oidcc-ensure-redirect-uri-in-authorization-request: an OpenID request without redirect_uri gets an error page, never a redirect', async () => {
    const res = await new Browser(srv.url).get(authorizeUrl({ response_type: 'code', client_id: DEMO, scope: 'openid', state: 'st', code_challenge: pkce().challenge, code_challenge_method: 'S256' }));
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(await res.text()).toContain('redirect_uri');
  });

  it.skipIf(skip)('oidcc-ensure-registered-redirect-uri: an unregistered redirect_uri gets an error page, never a redirect', async () => {
    const res = await new Browser(srv.url).get(authorizeUrl({ response_type: 'code', client_id: DEMO, redirect_uri: 'http://localhost:8080/callback/other', scope: 'openid', code_challenge: pkce().challenge, code_challenge_method: 'S256' }));
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
  });

  it.skipIf(skip)('oidcc-userinfo-get, oidcc-userinfo-post-header, oidcc-userinfo-post-body: the three ways to present the token', async () => {
    const result = await redeem((await signIn()).flow);
    const sub = oauth.getValidatedIdTokenClaims(result)!.sub;
    const get = await fetch(`${srv.url}/oauth/userinfo`, { headers: { authorization: `Bearer ${result.access_token}` } });
    expect(get.status).toBe(200);
    expect(((await get.json()) as Record<string, unknown>)['sub']).toBe(sub);
    const postHeader = await fetch(`${srv.url}/oauth/userinfo`, { method: 'POST', headers: { authorization: `Bearer ${result.access_token}` } });
    expect(postHeader.status).toBe(200);
    expect(((await postHeader.json()) as Record<string, unknown>)['sub']).toBe(sub);
    const postBody = await postForm(`${srv.url}/oauth/userinfo`, { access_token: result.access_token });
    expect(postBody.status).toBe(200);
    expect(postBody.json['sub']).toBe(sub);
    // oauth4webapi's own userinfo processing (sub must match the ID token's)
    const info = await oauth.processUserInfoResponse(as, rp, sub, await oauth.userInfoRequest(as, rp, result.access_token, options));
    expect(info.sub).toBe(sub);
  });

  it.skipIf(skip)('oidcc-ensure-request-without-nonce-succeeds-for-code-flow', async () => {
    const browser = new Browser(srv.url);
    const { verifier, challenge } = pkce();
    let res = await browser.get(authorizeUrl({ response_type: 'code', client_id: DEMO, redirect_uri: REDIRECT, scope: 'openid', state: 'no-nonce', code_challenge: challenge, code_challenge_method: 'S256' }));
    res = await browser.submit(await res.text(), { username: 'admin@example.com', password: 'correct horse battery staple' });
    if (res.status === 200) res = await browser.submit(await res.text());
    const url = new URL(res.headers.get('location')!);
    const params = oauth.validateAuthResponse(as, rp, url, 'no-nonce');
    const token = await oauth.authorizationCodeGrantRequest(as, rp, rpAuth, params, REDIRECT, verifier, options);
    const result = await oauth.processAuthorizationCodeResponse(as, rp, token, { expectedNonce: oauth.expectNoNonce, requireIdToken: true });
    expect(oauth.getValidatedIdTokenClaims(result)!.nonce).toBeUndefined();
  });

  it.skipIf(skip)('oidcc-ensure-other-scope-order-succeeds: "email openid" works like "openid email"', async () => {
    const { flow } = await signIn();
    const browser = new Browser(srv.url);
    const again = await authorizeFlow(browser, { clientId: DEMO, redirectUri: REDIRECT, scope: 'email openid' });
    const result = await redeem(again);
    expect(result.scope?.split(' ').sort()).toEqual(['email', 'openid']);
    expect(flow.code).toBeTruthy();
  });

  it.skipIf(skip)('oidcc-display-page, oidcc-display-popup, oidcc-ensure-request-with-unknown-parameter-succeeds, oidcc-ui-locales, oidcc-claims-locales: tolerated parameters', async () => {
    const tolerated: Array<Record<string, string>> = [{ display: 'page' }, { display: 'popup' }, { extra_unknown_param: 'x' }, { ui_locales: 'se' }, { claims_locales: 'se' }];
    for (const extra of tolerated) {
      const result = await redeem((await signIn(extra)).flow);
      expect(result.access_token, JSON.stringify(extra)).toBeTypeOf('string');
    }
  });

  it.skipIf(skip)('oidcc-login-hint: the login page is pre-filled with the hint', async () => {
    const res = await new Browser(srv.url).get(authorizeUrl({ response_type: 'code', client_id: DEMO, redirect_uri: REDIRECT, scope: 'openid', login_hint: 'admin@example.com', code_challenge: pkce().challenge, code_challenge_method: 'S256' }));
    const page = await res.text();
    expect(forms(page)[0]!.fields['username']).toBe('admin@example.com');
  });

  it.skipIf(skip)('oidcc-id-token-hint: prompt=none with the ID token of the signed-in user answers a code for the same sub', async () => {
    const { browser, flow } = await signIn();
    const first = await redeem(flow);
    const sub = oauth.getValidatedIdTokenClaims(first)!.sub;
    const { verifier, challenge } = pkce();
    const res = await browser.get(authorizeUrl({ response_type: 'code', client_id: DEMO, redirect_uri: REDIRECT, scope: 'openid', state: 'hint', prompt: 'none', id_token_hint: first.id_token!, code_challenge: challenge, code_challenge_method: 'S256' }));
    expect(res.status).toBe(303);
    const url = new URL(res.headers.get('location')!);
    const params = oauth.validateAuthResponse(as, rp, url, 'hint');
    const second = await oauth.processAuthorizationCodeResponse(as, rp, await oauth.authorizationCodeGrantRequest(as, rp, rpAuth, params, REDIRECT, verifier, options), { expectedNonce: oauth.expectNoNonce, requireIdToken: true });
    expect(oauth.getValidatedIdTokenClaims(second)!.sub).toBe(sub);
  });

  it.skipIf(skip)('oidcc-codereuse and oidcc-codereuse-30seconds: a second redemption fails and the first access token stops working', async () => {
    const { flow } = await signIn();
    const first = await redeem(flow);
    const replay = await postForm(`${srv.url}/oauth/token`, { grant_type: 'authorization_code', code: flow.code!, code_verifier: flow.verifier, redirect_uri: REDIRECT }, { authorization: basic(DEMO, DEMO_SECRET) });
    expect(replay.status).toBe(400);
    expect(replay.json['error']).toBe('invalid_grant');
    const info = await fetch(`${srv.url}/oauth/userinfo`, { headers: { authorization: `Bearer ${first.access_token}` } });
    expect(info.status).toBe(401);
    expect(info.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/);
  });

  it.skipIf(skip)('oidcc-ensure-request-with-valid-pkce-succeeds, and a wrong verifier fails', async () => {
    const { flow } = await signIn();
    const wrong = await postForm(`${srv.url}/oauth/token`, { grant_type: 'authorization_code', code: flow.code!, code_verifier: pkce().verifier, redirect_uri: REDIRECT }, { authorization: basic(DEMO, DEMO_SECRET) });
    expect(wrong.json['error']).toBe('invalid_grant');
    const ok = await redeem((await signIn()).flow);
    expect(ok.access_token).toBeTypeOf('string');
  });

  it.skipIf(skip)('oidcc-refresh-token: a refresh keeps iss, sub and aud; another client cannot use it', async () => {
    const first = await redeem((await signIn()).flow);
    const claims = oauth.getValidatedIdTokenClaims(first)!;
    const other = JSON.parse((await dep.cli(['clients', 'create', '--redirect-uri', REDIRECT, '--grant', 'authorization_code', '--grant', 'refresh_token', '--scope', 'openid offline_access', '--json'])).stdout) as { client_id: string; client_secret: string };
    const stolen = await postForm(`${srv.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: first.refresh_token! }, { authorization: basic(other.client_id, other.client_secret) });
    expect(stolen.status).toBe(400);
    expect(stolen.json['error']).toBe('invalid_grant');
    const refreshed = await client.refreshTokenGrant(config, first.refresh_token!);
    const again = refreshed.claims();
    if (again) {
      expect(again.iss).toBe(claims.iss);
      expect(again.sub).toBe(claims.sub);
      expect(again.aud).toBe(claims.aud);
    }
    expect(refreshed.access_token).not.toBe(first.access_token);
  });

  it.skipIf(skip)('Form Post plan (oidcc-server with response_mode=form_post): an auto-submitting form to the redirect URI', async () => {
    const browser = new Browser(srv.url);
    const { verifier, challenge } = pkce();
    let res = await browser.get(authorizeUrl({ response_type: 'code', response_mode: 'form_post', client_id: DEMO, redirect_uri: REDIRECT, scope: 'openid', state: 'fp', nonce: 'n-fp', code_challenge: challenge, code_challenge_method: 'S256' }));
    res = await browser.submit(await res.text(), { username: 'admin@example.com', password: 'correct horse battery staple' });
    let page = await res.text();
    if (!page.includes(`action="${REDIRECT}"`)) page = await (await browser.submit(page)).text();
    const form = forms(page).find((f) => f.action === REDIRECT)!;
    expect(form.fields['state']).toBe('fp');
    expect(form.fields['iss']).toBe(dep.issuer);
    const url = new URL(REDIRECT);
    for (const [k, v] of Object.entries(form.fields)) url.searchParams.set(k, v);
    const params = oauth.validateAuthResponse(as, rp, url, 'fp');
    const result = await oauth.processAuthorizationCodeResponse(as, rp, await oauth.authorizationCodeGrantRequest(as, rp, rpAuth, params, REDIRECT, verifier, options), { expectedNonce: 'n-fp', requireIdToken: true });
    expect(result.id_token).toBeTypeOf('string');
  });
});
