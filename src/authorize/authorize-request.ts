/**
 * The authorization request (RFC 6749 §4.1.1, OpenID Connect Core §3.1.2.1), checked in the order the specs
 * require: first client_id and redirect_uri, whose failure must never redirect (§4.1.2.1); then everything
 * else, whose failure is redirected to the verified redirect_uri with state and iss.
 */
import { demandsUnmetAcr, parseClaimsRequest, type ClaimsRequest } from '../claims/claims-request.js';
import { mayRequestResource, type Client } from '../clients/client.js';
import { JARM_MODES, type JarmMode } from '../jarm/jarm.js';
import type { OAuthError } from '../oauth/errors.js';
import {
  AccessDenied,
  InvalidRequest,
  InvalidScope,
  RequestNotSupported,
  RequestUriNotSupported,
  UnsupportedResponseType,
} from '../oauth/errors.js';
import { isCodeChallenge } from '../oauth/pkce.js';
import { matchRedirectUri } from '../oauth/redirect-uri.js';
import { grantScopes, parseScope } from '../oauth/scope.js';
import type { Completion } from './completion.js';
import type { ResponseTarget } from './response-mode.js';

export type ResponseMode = 'query' | 'fragment' | 'form_post' | JarmMode;
export const RESPONSE_MODES: readonly string[] = ['query', 'fragment', 'form_post', ...JARM_MODES];

export interface AuthorizationRequest {
  clientId: string;
  redirectUri: string;
  responseMode: ResponseMode;
  state: string | undefined;
  /** The client's authorization_signed_response_alg, for the JARM modes. */
  responseAlg?: string | null | undefined;
  scopes: string[];
  nonce: string | undefined;
  codeChallenge: string | undefined;
  prompt: string[];
  maxAge: number | undefined;
  loginHint: string | undefined;
  resource: string | undefined;
  /** The normalized `claims` parameter (OpenID Connect Core §5.5), null when absent. */
  claims: ClaimsRequest | null;
  /** Set when the request was pushed (RFC 9126, par/): the push's id, which its authorization's grant takes. */
  pushedId?: string;
  /** RFC 9449 §10: the JWK thumbprint the code is bound to. */
  dpopJkt?: string | undefined;
  /** A request without a redirect URI ends at this target instead of a code (completion.ts; the device flow). */
  completion?: Completion | undefined;
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
  readonly clientId: string | undefined;
  readonly responseAlg: string | null | undefined;
  constructor(cause: OAuthError, target: ResponseTarget) {
    super(cause.description);
    this.cause = cause;
    this.redirectUri = target.redirectUri;
    this.responseMode = target.responseMode;
    this.state = target.state;
    this.clientId = target.clientId;
    this.responseAlg = target.responseAlg;
  }
}

/** `create` is accepted always and ignored when sign-up is off (Initiating User Registration 1.0 §4.1). */
const PROMPTS = ['none', 'login', 'consent', 'select_account', 'create'];

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
  const responseMode: ResponseMode = modeParam !== undefined && RESPONSE_MODES.includes(modeParam) ? (modeParam as ResponseMode) : 'query';
  const responseAlg = client.authorizationSignedResponseAlg;
  const target: ResponseTarget = { redirectUri, responseMode, state: p['state'], clientId: client.clientId, responseAlg };
  const fail = (err: OAuthError): never => {
    throw new RedirectableError(err, target);
  };

  if (modeParam !== undefined && !RESPONSE_MODES.includes(modeParam)) fail(new InvalidRequest('unsupported response_mode'));
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

  // OIDC Dynamic Client Registration §2: default_max_age applies when the request has no max_age.
  let maxAge: number | undefined = client.defaultMaxAge ?? undefined;
  if (p['max_age'] !== undefined) {
    if (!/^\d{1,10}$/.test(p['max_age'])) fail(new InvalidRequest('max_age must be a non-negative integer'));
    maxAge = Number(p['max_age']);
  }

  const resource = p['resource'];
  if (resource !== undefined && !mayRequestResource(client, resource)) {
    fail(new InvalidRequest('the requested resource is not allowed for this client'));
  }

  // RFC 9449 §10: a SHA-256 JWK thumbprint (RFC 7638), 43 base64url characters.
  const dpopJkt = p['dpop_jkt'];
  if (dpopJkt !== undefined && !/^[\w-]{43}$/.test(dpopJkt)) fail(new InvalidRequest('dpop_jkt must be a base64url SHA-256 JWK thumbprint'));

  let claims: ClaimsRequest | null = null;
  if (p['claims'] !== undefined) {
    try {
      claims = parseClaimsRequest(p['claims']);
    } catch (err) {
      fail(err as InvalidRequest);
    }
    // §5.5.1.1: an essential acr with values that cannot be met is a failed authentication.
    if (demandsUnmetAcr(claims)) fail(new AccessDenied('the requested essential acr values cannot be met'));
  }

  return {
    clientId: client.clientId,
    redirectUri,
    responseMode,
    state: p['state'],
    ...(responseAlg ? { responseAlg } : {}),
    scopes,
    nonce: p['nonce'],
    codeChallenge: challenge,
    prompt,
    maxAge,
    loginHint: p['login_hint'],
    resource,
    claims,
    ...(dpopJkt ? { dpopJkt } : {}),
  };
}
