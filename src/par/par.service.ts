/**
 * Pushed Authorization Requests (RFC 9126). The client pushes its authorization request over an authenticated
 * back channel; every check of the authorization endpoint runs at push time (request object, redirect URI,
 * response type, scopes, PKCE, prompt), and the client gets a one-time `request_uri` for the browser.
 *
 * One-time where it matters: a push may be visited again until an authorization is issued from it (a reload, a
 * back button; FAPI 2.0 SP §5.3.2.2 note 3 asks that one-time use be enforced at the authorization, not at the
 * visit). The authorization it leads to takes the push's id as its grant id, and grant ids are unique, so a
 * second authorization from one push fails atomically, and any later visit is refused with invalid_request_uri.
 */
import { randomUUID } from 'node:crypto';
import { checkAuthorizationRequest, RedirectableError, UnsafeRedirect, verifyRedirect, RESPONSE_MODES, type ResponseMode } from '../authorize/authorize-request.js';
import type { Client } from '../clients/client.js';
import type { Clock } from '../oauth/clock.js';
import { InvalidDpopProof, InvalidRequest, InvalidRequestUri, type OAuthError } from '../oauth/errors.js';
import { sha256 } from '../oauth/hash.js';
import { randomToken } from '../oauth/random.js';
import type { PushedRequestStore } from './pushed-request.store.js';

export const REQUEST_URI_PREFIX = 'urn:ietf:params:oauth:request_uri:';

export interface ParDeps {
  store: PushedRequestStore;
  clock: Clock;
  /** `auth.par.lifetime`: how long a request_uri may be visited (seconds). */
  lifetime: number;
  /** `auth.par.required`: every authorization request must be pushed. */
  required: boolean;
  /** Request objects by value, verified and merged (request-object/). */
  requestObjects: { resolve(client: Client, params: Record<string, string>): Promise<Record<string, string> | RedirectableError> };
  /** Extra rules of a profile at push time (FAPI 2.0: redirect_uri required). */
  profileProblem?: (client: Client, params: Record<string, string>) => OAuthError | undefined;
}

export interface PushedReference {
  request_uri: string;
  expires_in: number;
}

/** What the authorization endpoint continues with. */
export interface TakenPush {
  id: string;
  params: Record<string, string>;
}

export class PushedAuthorizationService {
  private readonly deps: ParDeps;

  constructor(deps: ParDeps) {
    this.deps = deps;
  }

  /** Whether `client`'s authorization requests must be pushed (server-wide or by its metadata). */
  requiredFor(client: Pick<Client, 'requirePushedAuthorizationRequests'>): boolean {
    return this.deps.required || client.requirePushedAuthorizationRequests === true;
  }

  /** POST /oauth/par, for an authenticated client: the checks of the authorization endpoint, as JSON errors. */
  async push(client: Client, body: Record<string, string>, proofJkt?: string): Promise<PushedReference> {
    // RFC 9126 §2.1: request_uri is not allowed in a pushed request.
    if (body['request_uri'] !== undefined) throw new InvalidRequest('request_uri is not allowed in a pushed authorization request');
    if (body['client_id'] !== undefined && body['client_id'] !== client.clientId) throw new InvalidRequest('client_id does not match the authenticated client');
    // RFC 9449 §10.1: a DPoP proof sent with the push binds the code to its key; dpop_jkt, if sent too, must agree.
    if (proofJkt !== undefined) {
      if (body['dpop_jkt'] !== undefined && body['dpop_jkt'] !== proofJkt) throw new InvalidDpopProof('dpop_jkt does not match the DPoP proof key');
      body = { ...body, dpop_jkt: proofJkt };
    }
    let params: Record<string, string>;
    try {
      const resolved = await this.deps.requestObjects.resolve(client, { ...body, client_id: client.clientId });
      if (resolved instanceof RedirectableError) throw resolved.cause;
      params = withoutClientCredentials(resolved);
      const profile = this.deps.profileProblem?.(client, params);
      if (profile) throw profile;
      const { redirectUri } = verifyRedirect(client, params);
      checkAuthorizationRequest(client, redirectUri, params);
    } catch (err) {
      if (err instanceof UnsafeRedirect) throw new InvalidRequest(err.message);
      if (err instanceof RedirectableError) throw err.cause;
      throw err;
    }
    const reference = randomToken(32);
    const now = this.deps.clock.now();
    await this.deps.store.insert({
      id: randomUUID(),
      referenceHash: sha256(reference),
      clientId: client.clientId,
      params,
      createdAt: now,
      expiresAt: now + this.deps.lifetime,
    });
    return { request_uri: `${REQUEST_URI_PREFIX}${reference}`, expires_in: this.deps.lifetime };
  }

  /**
   * The authorization endpoint's `request_uri`: undefined when the query has none. Throws UnsafeRedirect (an
   * error page) for an unknown reference or another client's; RedirectableError with invalid_request_uri, to the
   * pushed redirect URI, for one that expired or was already authorized. RFC 9126 §4: only the pushed
   * parameters are used; the query's client_id must name the pushing client.
   */
  async take(client: Client | undefined, query: Record<string, string>): Promise<TakenPush | undefined> {
    const requestUri = query['request_uri'];
    if (requestUri === undefined || !requestUri.startsWith(REQUEST_URI_PREFIX)) return undefined;
    if (!client) throw new UnsafeRedirect('The application that sent you here is not registered.');
    const pushed = await this.deps.store.find(sha256(requestUri.slice(REQUEST_URI_PREFIX.length)));
    if (!pushed || pushed.clientId !== client.clientId) throw new UnsafeRedirect('The request_uri of this request is unknown.');
    if (pushed.used || pushed.expiresAt <= this.deps.clock.now()) {
      const p = pushed.params;
      const mode = p['response_mode'];
      const responseMode: ResponseMode = mode !== undefined && RESPONSE_MODES.includes(mode) ? (mode as ResponseMode) : 'query';
      const redirectUri = p['redirect_uri'] ?? client.redirectUris[0] ?? '';
      const cause = new InvalidRequestUri(pushed.used ? 'the request_uri was already used' : 'the request_uri has expired');
      throw new RedirectableError(cause, { redirectUri, responseMode, state: p['state'], clientId: client.clientId, responseAlg: client.authorizationSignedResponseAlg });
    }
    return { id: pushed.id, params: pushed.params };
  }

  async purgeExpired(): Promise<number> {
    return this.deps.store.purgeExpired(this.deps.clock.now());
  }
}

/** Client authentication travels with the push and is never kept. */
function withoutClientCredentials(params: Record<string, string>): Record<string, string> {
  const { client_secret: _secret, client_assertion: _assertion, client_assertion_type: _type, ...rest } = params;
  return rest;
}
