/**
 * The authorization request (RFC 6749 §4.1.1, OpenID Connect Core §3.1.2.1), checked in the order the specs
 * require: first client_id and redirect_uri, whose failure must never redirect (§4.1.2.1); then everything
 * else, whose failure is redirected to the verified redirect_uri with state and iss.
 */
import type { Client } from '../clients/client.js';
import type { OAuthError } from '../oauth/errors.js';
import {
  InvalidRequest,
  InvalidScope,
  RequestNotSupported,
  RequestUriNotSupported,
  UnsupportedResponseType,
} from '../oauth/errors.js';
import { isCodeChallenge } from '../oauth/pkce.js';
import { matchRedirectUri } from '../oauth/redirect-uri.js';
import { grantScopes, parseScope } from '../oauth/scope.js';

export type ResponseMode = 'query' | 'fragment' | 'form_post';

export interface AuthorizationRequest {
  clientId: string;
  redirectUri: string;
  responseMode: ResponseMode;
  state: string | undefined;
  scopes: string[];
  nonce: string | undefined;
  codeChallenge: string | undefined;
  prompt: string[];
  maxAge: number | undefined;
  loginHint: string | undefined;
  resource: string | undefined;
  /** Claims the client asked for in the ID token (`claims` parameter, id_token member). */
  idTokenClaims: string[];
}

/** A failure before the redirect URI is verified: shown as an error page, never redirected. */
export class UnsafeRedirect extends Error {
  override name = 'UnsafeRedirect';
}

/** A failure after the redirect URI is verified: sent to the client through the response mode. */
export class RedirectableError extends Error {
  override name = 'RedirectableError';
  override readonly cause: OAuthError;
  readonly redirectUri: string;
  readonly responseMode: ResponseMode;
  readonly state: string | undefined;
  constructor(cause: OAuthError, target: { redirectUri: string; responseMode: ResponseMode; state: string | undefined }) {
    super(cause.description);
    this.cause = cause;
    this.redirectUri = target.redirectUri;
    this.responseMode = target.responseMode;
    this.state = target.state;
  }
}

const PROMPTS = ['none', 'login', 'consent', 'select_account'];

/** Step 1: client_id and redirect_uri. */
export function verifyRedirect(client: Client | undefined, params: Record<string, string>): { client: Client; redirectUri: string } {
  if (!params['client_id']) throw new UnsafeRedirect('The request has no client_id.');
  if (!client) throw new UnsafeRedirect('The application that sent you here is not registered.');
  const given = params['redirect_uri'];
  if (given === undefined) {
    // OpenID Connect Core §3.1.2.1 makes it required; RFC 6749 §3.1.2.3 lets an OAuth request omit it only when
    // exactly one is registered.
    const openid = (params['scope'] ?? '').split(' ').includes('openid');
    if (openid || client.redirectUris.length !== 1) throw new UnsafeRedirect('The request has no redirect_uri.');
    return { client, redirectUri: client.redirectUris[0]! };
  }
  if (!matchRedirectUri(client.redirectUris, given)) {
    throw new UnsafeRedirect('The redirect_uri of the request is not registered for this application.');
  }
  return { client, redirectUri: given };
}

/** Step 2: the rest, in order. Throws RedirectableError. */
export function checkAuthorizationRequest(client: Client, redirectUri: string, p: Record<string, string>): AuthorizationRequest {
  const modeParam = p['response_mode'];
  const responseMode: ResponseMode = modeParam === 'fragment' || modeParam === 'form_post' ? modeParam : 'query';
  const target = { redirectUri, responseMode, state: p['state'] };
  const fail = (err: OAuthError): never => {
    throw new RedirectableError(err, target);
  };

  if (modeParam !== undefined && !['query', 'fragment', 'form_post'].includes(modeParam)) fail(new InvalidRequest('unsupported response_mode'));
  if (p['request'] !== undefined) fail(new RequestNotSupported('request objects are not supported'));
  if (p['request_uri'] !== undefined) fail(new RequestUriNotSupported('request_uri is not supported'));
  if (p['response_type'] === undefined) fail(new InvalidRequest('response_type is required'));
  if (p['response_type'] !== 'code' || !client.responseTypes.includes('code')) {
    fail(new UnsupportedResponseType('only response_type=code is supported'));
  }
  if (!client.grantTypes.includes('authorization_code')) fail(new InvalidRequest('the client may not use the authorization code flow'));

  let scopes: string[] = [];
  try {
    scopes = grantScopes(parseScope(p['scope']), client.scopes);
  } catch (err) {
    fail(err as OAuthError);
  }
  if (scopes.length === 0) fail(new InvalidScope('scope is required'));

  // PKCE (RFC 7636, OAuth 2.1 §4.1.1): S256 only; required unless the confidential client opted out.
  const challenge = p['code_challenge'];
  const method = p['code_challenge_method'];
  if (challenge === undefined) {
    if (client.pkceRequired) fail(new InvalidRequest('code_challenge is required (PKCE with S256)'));
    if (method !== undefined) fail(new InvalidRequest('code_challenge_method without code_challenge'));
  } else {
    if (method !== 'S256') fail(new InvalidRequest('code_challenge_method must be S256'));
    if (!isCodeChallenge(challenge)) fail(new InvalidRequest('code_challenge must be 43 base64url characters'));
  }

  const prompt = p['prompt'] ? p['prompt'].split(' ') : [];
  if (prompt.some((x) => !PROMPTS.includes(x))) fail(new InvalidRequest('unsupported prompt value'));
  if (prompt.includes('none') && prompt.length > 1) fail(new InvalidRequest('prompt=none cannot be combined'));

  let maxAge: number | undefined;
  if (p['max_age'] !== undefined) {
    if (!/^\d{1,10}$/.test(p['max_age'])) fail(new InvalidRequest('max_age must be a non-negative integer'));
    maxAge = Number(p['max_age']);
  }

  const resource = p['resource'];
  if (resource !== undefined && (!URL.canParse(resource) || resource.includes('#') || !client.resources.includes(resource))) {
    fail(new InvalidRequest('the requested resource is not allowed for this client'));
  }

  let idTokenClaims: string[] = [];
  if (p['claims'] !== undefined) {
    try {
      const parsed = JSON.parse(p['claims']) as { id_token?: Record<string, unknown> };
      if (parsed === null || typeof parsed !== 'object') throw new Error('not an object');
      idTokenClaims = Object.keys(parsed.id_token ?? {});
    } catch {
      fail(new InvalidRequest('claims must be a JSON object'));
    }
  }

  return {
    clientId: client.clientId,
    redirectUri,
    responseMode,
    state: p['state'],
    scopes,
    nonce: p['nonce'],
    codeChallenge: challenge,
    prompt: prompt.map((x) => (x === 'select_account' ? 'login' : x)),
    maxAge,
    loginHint: p['login_hint'],
    resource,
    idTokenClaims,
  };
}
