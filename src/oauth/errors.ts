/**
 * Typed protocol errors. Each subclass fixes its RFC 6749 `error` code and HTTP status; `description` is the
 * public text, `detail` is for logs only. The HTTP layer maps them to the wire in exactly one place
 * (src/http/error-handler.ts), as node-oidc-provider's err_out.js does.
 */
export abstract class OAuthError extends Error {
  abstract readonly error: string;
  abstract readonly status: number;
  /** Extra response headers (e.g. WWW-Authenticate). */
  headers: Record<string, string> = {};

  readonly description: string;
  readonly detail: string | undefined;

  constructor(description: string, detail?: string) {
    super(description);
    this.name = new.target.name;
    this.description = description;
    this.detail = detail;
  }
}

export class InvalidRequest extends OAuthError {
  readonly error = 'invalid_request';
  readonly status = 400;
}

export class InvalidClient extends OAuthError {
  readonly error = 'invalid_client';
  readonly status = 401;
  /** RFC 6749 §5.2: a client that tried Basic gets a Basic challenge back. */
  static challenge(usedBasic: boolean, detail?: string): InvalidClient {
    const err = new InvalidClient('client authentication failed', detail);
    if (usedBasic) err.headers['www-authenticate'] = 'Basic realm="gatehouse", charset="UTF-8"';
    return err;
  }
}

/** `invalid_grant` never says why to the client (no oracle); the reason goes to `detail`. */
export class InvalidGrant extends OAuthError {
  readonly error = 'invalid_grant';
  readonly status = 400;
  constructor(detail: string) {
    super('grant request is invalid', detail);
  }
}

export class UnauthorizedClient extends OAuthError {
  readonly error = 'unauthorized_client';
  readonly status = 400;
}

export class UnsupportedGrantType extends OAuthError {
  readonly error = 'unsupported_grant_type';
  readonly status = 400;
}

export class UnsupportedResponseType extends OAuthError {
  readonly error = 'unsupported_response_type';
  readonly status = 400;
}

export class InvalidScope extends OAuthError {
  readonly error = 'invalid_scope';
  readonly status = 400;
}

export class InvalidTarget extends OAuthError {
  readonly error = 'invalid_target';
  readonly status = 400;
}

export class AccessDenied extends OAuthError {
  readonly error = 'access_denied';
  readonly status = 403;
}

/** RFC 8628 §3.5: the token endpoint's answers to a device that polls (all 400, as RFC 6749 §5.2 errors). */
export class AuthorizationPending extends OAuthError {
  readonly error = 'authorization_pending';
  readonly status = 400;
}

export class SlowDown extends OAuthError {
  readonly error = 'slow_down';
  readonly status = 400;
}

export class ExpiredToken extends OAuthError {
  readonly error = 'expired_token';
  readonly status = 400;
}

/** RFC 8628 §3.5 access_denied: the person denied the device; a token-endpoint error, so 400. */
export class DeviceAccessDenied extends OAuthError {
  readonly error = 'access_denied';
  readonly status = 400;
}

export class LoginRequired extends OAuthError {
  readonly error = 'login_required';
  readonly status = 400;
}

export class ConsentRequired extends OAuthError {
  readonly error = 'consent_required';
  readonly status = 400;
}

/** RFC 6750 §3.1; the HTTP layer adds the Bearer challenge. */
export class InvalidToken extends OAuthError {
  readonly error = 'invalid_token';
  readonly status = 401;
  constructor(detail?: string) {
    super('the access token is invalid', detail);
    this.headers['www-authenticate'] = 'Bearer error="invalid_token"';
  }
}

export class InsufficientScope extends OAuthError {
  readonly error = 'insufficient_scope';
  readonly status = 403;
  constructor(scope: string) {
    super(`the token lacks the required scope: ${scope}`);
    this.headers['www-authenticate'] = `Bearer error="insufficient_scope", scope="${scope}"`;
  }
}

/** RFC 7591 §3.2.2 */
export class InvalidRedirectUri extends OAuthError {
  readonly error = 'invalid_redirect_uri';
  readonly status = 400;
}

/** RFC 7591 §3.2.2 */
export class InvalidClientMetadata extends OAuthError {
  readonly error = 'invalid_client_metadata';
  readonly status = 400;
}

/** A resource (client, user, key) that does not exist; 404 in the admin API. */
export class NotFound extends OAuthError {
  readonly error = 'not_found';
  readonly status = 404;
}

/** A rule of the registry forbids the change (e.g. deleting the default client, removing the last owner). */
export class Conflict extends OAuthError {
  readonly error = 'conflict';
  readonly status = 409;
}

/** OpenID Connect Core §3.1.2.6 */
export class RequestNotSupported extends OAuthError {
  readonly error = 'request_not_supported';
  readonly status = 400;
}

/** OpenID Connect Core §3.1.2.6 */
export class RequestUriNotSupported extends OAuthError {
  readonly error = 'request_uri_not_supported';
  readonly status = 400;
}

/** OpenID Connect Core §3.1.2.6, RFC 9126 §4: the request_uri is unknown to the client, expired or used. */
export class InvalidRequestUri extends OAuthError {
  readonly error = 'invalid_request_uri';
  readonly status = 400;
}

/** OpenID Connect Core §3.1.2.6, RFC 9101 §6.2: the request object failed verification. */
export class InvalidRequestObject extends OAuthError {
  readonly error = 'invalid_request_object';
  readonly status = 400;
}

export class TooManyRequests extends OAuthError {
  readonly error = 'too_many_requests';
  readonly status = 429;
  readonly retryAfterSeconds: number;

  constructor(description: string, retryAfterSeconds: number) {
    super(description);
    this.retryAfterSeconds = retryAfterSeconds;
    this.headers['retry-after'] = String(retryAfterSeconds);
  }
}

export class ServerError extends OAuthError {
  readonly error = 'server_error';
  readonly status = 500;
}

/**
 * A rule of the operator model (projects, members, roles, clients in projects) refused the request. `error` is a
 * stable code (src/projects/errors.ts lists them); `description` is the sentence operators see.
 */
export class OperatorRuleError extends OAuthError {
  readonly error: string;
  readonly status: number;

  constructor(error: string, status: number, description: string) {
    super(description);
    this.error = error;
    this.status = status;
  }
}

/** RFC 6749 §4.1.2.1 `temporarily_unavailable`: the server is too busy (e.g. the hashing queue is full); retry later. */
export class TemporarilyUnavailable extends OAuthError {
  readonly error = 'temporarily_unavailable';
  readonly status = 503;

  constructor(description: string, retryAfterSeconds: number) {
    super(description);
    this.headers['retry-after'] = String(retryAfterSeconds);
  }
}

/**
 * RFC 9449 §5 (token endpoint, 400) and §7.1 (protected resources, 401 with a DPoP challenge). `status` is
 * fixed by where the proof was checked, so the one class serves both.
 */
export class InvalidDpopProof extends OAuthError {
  readonly error = 'invalid_dpop_proof';
  status = 400;
}

/** RFC 9449 §8, §9: the proof lacks the server nonce (or carries a stale one); `DPoP-Nonce` has a fresh one. */
export class UseDpopNonce extends OAuthError {
  readonly error = 'use_dpop_nonce';
  status = 400;
  constructor(nonce: string, detail?: string) {
    super('a DPoP proof with the server nonce is required', detail);
    this.headers['dpop-nonce'] = nonce;
  }
}
