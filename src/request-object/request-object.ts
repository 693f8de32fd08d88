/**
 * Request objects passed by value (`request`, OpenID Connect Core §6.1, RFC 9101). The object is a JWT from
 * the client: signed with its registered keys (`jwks`, or `jwks_uri` fetched through src/outbound/ only), or
 * with HMAC over its client secret when the secret is kept readable (client_secret_jwt clients); unsigned
 * (`alg: none`) only for a client registered with `request_object_signing_alg: none`; and when the client
 * registered a `request_object_signing_alg`, with that alg only. Its parameters replace the query's
 * (OIDC Core §6.3.3, RFC 9101 §5); the result goes on through the ordinary authorization request checks.
 * `request_uri` is not fetched: the request checks answer request_uri_not_supported.
 */
import {
  createLocalJWKSet,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  UnsecuredJWT,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import type { Client } from '../clients/client.js';
import { ASYMMETRIC_ASSERTION_ALGS, HMAC_ASSERTION_ALGS } from '../clients/client.js';
import type { Clock } from '../oauth/clock.js';
import { InvalidRequest, InvalidRequestObject, type OAuthError } from '../oauth/errors.js';
import type { OutboundFetcher } from '../outbound/outbound-fetch.js';
import { NotAKeySet, RemoteKeySets } from '../outbound/remote-key-sets.js';
import { RedirectableError, RESPONSE_MODES, verifyRedirect, type ResponseMode } from '../authorize/authorize-request.js';

const CLOCK_SKEW = 30;
/** Members that describe the JWT itself, not the authorization request. */
const JWT_CLAIMS = new Set(['iss', 'aud', 'exp', 'iat', 'nbf', 'jti', 'sub']);
/** A request object has no business being larger than this (the query it replaces is bounded too). */
const MAX_REQUEST_OBJECT_LENGTH = 64 * 1024;

export interface RequestObjectDeps {
  /** Opens the client's sealed secret (kept only for client_secret_jwt clients). */
  clients: { openSecret(client: Client): string | undefined };
  /** Fetches jwks_uri documents (https only, public addresses only, bounded, cached). */
  outbound: Pick<OutboundFetcher, 'fetchJson'>;
  clock: Clock;
  issuer: string;
}

class Refused extends Error {
  override name = 'Refused';
}

export class RequestObjectVerifier {
  /** Key sets of fetched jwks_uri documents (src/outbound/). */
  private readonly fetchedSets: RemoteKeySets;
  private readonly deps: RequestObjectDeps;

  constructor(deps: RequestObjectDeps) {
    this.deps = deps;
    this.fetchedSets = new RemoteKeySets(deps.outbound);
  }

  /**
   * The authorization request's parameters with a `request` object verified and merged in. Without one (or
   * without a known client, which the request checks refuse) the parameters come back as they are. A bad
   * object is an invalid_request_object sent to the query's redirect URI when that one is registered;
   * otherwise verifyRedirect's UnsafeRedirect (an error page) is thrown.
   */
  async resolve(client: Client | undefined, params: Record<string, string>): Promise<Record<string, string> | RedirectableError> {
    const jwt = params['request'];
    if (jwt === undefined || !client) return params;
    try {
      if (params['request_uri'] !== undefined) throw new InvalidRequest('request and request_uri cannot both be used');
      const payload = await this.verify(client, jwt);
      return merge(params, payload);
    } catch (err) {
      const cause = err instanceof InvalidRequest ? err : new InvalidRequestObject(describe(err), (err as Error).message);
      return this.redirectable(client, params, cause);
    }
  }

  private redirectable(client: Client, params: Record<string, string>, cause: OAuthError): RedirectableError {
    const { redirectUri } = verifyRedirect(client, params);
    const mode = params['response_mode'];
    const responseMode: ResponseMode = mode !== undefined && RESPONSE_MODES.includes(mode) ? (mode as ResponseMode) : 'query';
    return new RedirectableError(cause, { redirectUri, responseMode, state: params['state'], clientId: client.clientId, responseAlg: client.authorizationSignedResponseAlg });
  }

  private async verify(client: Client, jwt: string): Promise<JWTPayload> {
    if (jwt.length > MAX_REQUEST_OBJECT_LENGTH) throw new Refused('the request object is too large');
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(jwt).alg;
    } catch {
      throw new Refused('the request object is not a JWT');
    }
    const registered = client.requestObjectSigningAlg;
    if (registered && alg !== registered) throw new Refused(`the request object must be signed with ${registered}`);
    const claims = { issuer: client.clientId, audience: this.deps.issuer, clockTolerance: CLOCK_SKEW, currentDate: new Date(this.deps.clock.now() * 1000) };
    let payload: JWTPayload;
    if (alg === 'none') {
      // Only a client registered for unsigned objects gets here; iss and aud are checked when present.
      if (registered !== 'none') throw new Refused('unsigned request objects are not accepted from this client');
      const decoded = UnsecuredJWT.decode(jwt, { clockTolerance: CLOCK_SKEW, currentDate: claims.currentDate });
      payload = decoded.payload;
      if (payload.iss !== undefined && payload.iss !== client.clientId) throw new Refused('the request object iss is not the client_id');
      if (payload.aud !== undefined && ![payload.aud].flat().includes(this.deps.issuer)) throw new Refused('the request object aud is not the issuer');
    } else if (alg !== undefined && (HMAC_ASSERTION_ALGS as readonly string[]).includes(alg)) {
      const secret = this.deps.clients.openSecret(client);
      if (!secret) throw new Refused('this client has no secret to verify an HMAC request object with');
      ({ payload } = await jwtVerify(jwt, new TextEncoder().encode(secret), { ...claims, algorithms: [alg] }));
    } else if (alg !== undefined && (ASYMMETRIC_ASSERTION_ALGS as readonly string[]).includes(alg)) {
      ({ payload } = await jwtVerify(jwt, await this.keySet(client), { ...claims, algorithms: [alg] }));
    } else {
      throw new Refused('the request object alg is not supported');
    }
    const now = this.deps.clock.now();
    if (typeof payload.iat === 'number' && payload.iat > now + CLOCK_SKEW) throw new Refused('the request object iat is in the future');
    if (payload.iat !== undefined && typeof payload.iat !== 'number') throw new Refused('the request object iat is not a number');
    if (payload['client_id'] !== undefined && payload['client_id'] !== client.clientId) {
      throw new Refused('the request object client_id does not match the request');
    }
    if (payload['request'] !== undefined || payload['request_uri'] !== undefined) {
      throw new Refused('a request object must not contain request or request_uri');
    }
    return payload;
  }

  /** The client's keys: registered inline, or fetched from its jwks_uri through the outbound module only. */
  private async keySet(client: Client): Promise<JWTVerifyGetKey> {
    if (client.jwks) return createLocalJWKSet(client.jwks);
    if (!client.jwksUri) throw new Refused('this client has no registered keys');
    try {
      return await this.fetchedSets.keySet(client.jwksUri);
    } catch (err) {
      if (err instanceof NotAKeySet) throw new Refused(err.message);
      throw err;
    }
  }
}

/**
 * OIDC Core §6.3.3 / RFC 9101 §5: the object's parameters win over the query's; `response_type` and
 * `client_id` in the query must agree with the object's. Non-string members (max_age, claims) are carried
 * in their query form.
 */
function merge(query: Record<string, string>, payload: JWTPayload): Record<string, string> {
  const merged: Record<string, string> = { ...query };
  delete merged['request'];
  for (const [key, value] of Object.entries(payload)) {
    if (JWT_CLAIMS.has(key) || value === undefined || value === null) continue;
    merged[key] = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  const objectType = payload['response_type'];
  if (objectType !== undefined && query['response_type'] !== undefined && objectType !== query['response_type']) {
    throw new Refused('response_type in the request object does not match the query');
  }
  return merged;
}

function describe(err: unknown): string {
  if (err instanceof Refused) return err.message;
  if (err instanceof errors.JWTExpired) return 'the request object has expired';
  if (err instanceof errors.JWTClaimValidationFailed) return `the request object ${err.claim} claim is invalid`;
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'the request object signature is invalid';
  if (err instanceof errors.JWKSNoMatchingKey) return 'no registered key of the client verifies the request object';
  return 'the request object could not be verified';
}
