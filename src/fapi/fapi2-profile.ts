/**
 * The FAPI 2.0 Security Profile (Final) as a profile a client, or the whole server, is put under. Each rule is
 * one method, asked at the point the rule applies (registration, PAR, the authorization endpoint, client
 * authentication, the token endpoint); the answer is the error the spec and the OpenID Foundation's conformance
 * suite expect, or undefined. The protocol features themselves (PAR, DPoP, mTLS) live in their own folders.
 *
 * FAPI 2.0 SP §5.3.2 (authorization server): PAR required, confidential clients only, PKCE S256 (already the
 * only method here), authorization codes valid at most 60 s, `iss` in authorization responses (always sent),
 * sender-constrained access tokens (DPoP or mTLS), `response_type=code` only, no refresh-token rotation unless
 * an operator chooses it. §5.4 client authentication: private_key_jwt or mTLS. §5.4.1 algorithms: PS256,
 * ES256, EdDSA (Ed25519). §5.3.2.1 redirect URIs: https, and `redirect_uri` required in the pushed request.
 */
import { InvalidClient, InvalidClientMetadata, InvalidRedirectUri, InvalidRequest, UnsupportedResponseType } from '../oauth/errors.js';

export const FAPI2_PROFILE = 'fapi2_security_profile';
export const FAPI2_SIGNING_ALGS: readonly string[] = ['PS256', 'ES256', 'EdDSA'];
export const FAPI2_CLIENT_AUTH_METHODS: readonly string[] = ['private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth'];
/** FAPI 2.0 SP §5.3.2.1-? "shall issue authorization codes with a maximum lifetime of 60 seconds". */
export const FAPI2_MAX_CODE_LIFETIME = 60;

export interface Fapi2Settings {
  /** Every client is under the profile (`auth.fapi2.everyClient`). */
  everyClient: boolean;
  /** Rotate refresh tokens of profile clients anyway (§5.3.2.1 allows it only in extraordinary circumstances). */
  rotateRefreshTokens: boolean;
}

/** What the profile needs to know of a client. */
export interface Fapi2Client {
  fapiProfile?: string | null;
  clientType: 'public' | 'confidential';
  tokenEndpointAuthMethod: string;
  tokenEndpointAuthSigningAlg?: string | null;
  redirectUris: readonly string[];
  idTokenSignedResponseAlg?: string | null;
  userinfoSignedResponseAlg?: string | null;
  authorizationSignedResponseAlg?: string | null;
  introspectionSignedResponseAlg?: string | null;
  requestObjectSigningAlg?: string | null;
  responseTypes?: readonly string[];
}

/** How a token request proved possession of a key, if it did. */
export interface SenderConstraint {
  dpop: boolean;
  certificate: boolean;
}

export class Fapi2Profile {
  private readonly settings: Fapi2Settings;

  constructor(settings: Fapi2Settings) {
    this.settings = settings;
  }

  appliesTo(client: Pick<Fapi2Client, 'fapiProfile'>): boolean {
    return this.settings.everyClient || client.fapiProfile === FAPI2_PROFILE;
  }

  /** Registration and client updates: the metadata a profile client may have. */
  clientProblem(c: Fapi2Client): InvalidClientMetadata | InvalidRedirectUri | undefined {
    if (!this.appliesTo(c)) return undefined;
    if (c.clientType !== 'confidential') return new InvalidClientMetadata('FAPI 2.0: only confidential clients');
    if (!FAPI2_CLIENT_AUTH_METHODS.includes(c.tokenEndpointAuthMethod)) {
      return new InvalidClientMetadata(`FAPI 2.0: token_endpoint_auth_method must be one of ${FAPI2_CLIENT_AUTH_METHODS.join(', ')}`);
    }
    const algs: Array<[string, string | null | undefined]> = [
      ['token_endpoint_auth_signing_alg', c.tokenEndpointAuthSigningAlg],
      ['id_token_signed_response_alg', c.idTokenSignedResponseAlg],
      ['userinfo_signed_response_alg', c.userinfoSignedResponseAlg],
      ['authorization_signed_response_alg', c.authorizationSignedResponseAlg],
      ['introspection_signed_response_alg', c.introspectionSignedResponseAlg],
      ['request_object_signing_alg', c.requestObjectSigningAlg],
    ];
    for (const [field, alg] of algs) {
      if (alg && !FAPI2_SIGNING_ALGS.includes(alg)) return new InvalidClientMetadata(`FAPI 2.0: ${field} must be one of ${FAPI2_SIGNING_ALGS.join(', ')}`);
    }
    if (c.responseTypes && c.responseTypes.some((t) => t !== 'code')) return new InvalidClientMetadata('FAPI 2.0: response_types may only be code');
    const insecure = c.redirectUris.find((u) => !u.startsWith('https://'));
    if (insecure) return new InvalidRedirectUri(`FAPI 2.0: redirect URIs must be https (${insecure})`);
    return undefined;
  }

  /** The algorithms a profile client's assertions may use (private_key_jwt), or undefined when not narrowed. */
  assertionAlgs(client: Fapi2Client): readonly string[] | undefined {
    if (!this.appliesTo(client)) return undefined;
    const registered = client.tokenEndpointAuthSigningAlg;
    return registered && FAPI2_SIGNING_ALGS.includes(registered) ? [registered] : FAPI2_SIGNING_ALGS;
  }

  /** Client authentication at every endpoint: a method the profile allows (a client registered before it was put under the profile). */
  authenticationProblem(client: Fapi2Client): InvalidClient | undefined {
    if (!this.appliesTo(client)) return undefined;
    return FAPI2_CLIENT_AUTH_METHODS.includes(client.tokenEndpointAuthMethod)
      ? undefined
      : new InvalidClient('FAPI 2.0: this client must authenticate with private_key_jwt or mutual TLS');
  }

  /** The pushed request itself (RFC 9126 + FAPI 2.0 §5.3.2.1): `redirect_uri` required, only `code`. */
  pushedRequestProblem(client: Fapi2Client, params: Record<string, string | undefined>): InvalidRequest | UnsupportedResponseType | undefined {
    if (!this.appliesTo(client)) return undefined;
    if (!params['redirect_uri']) return new InvalidRequest('FAPI 2.0: redirect_uri is required in the pushed authorization request');
    if (params['response_type'] !== undefined && params['response_type'] !== 'code') return new UnsupportedResponseType('FAPI 2.0: only response_type=code');
    return undefined;
  }

  /** The authorization endpoint: a profile client's request must have been pushed. */
  authorizationProblem(client: Fapi2Client, pushed: boolean): InvalidRequest | undefined {
    if (!this.appliesTo(client) || pushed) return undefined;
    return new InvalidRequest('FAPI 2.0: authorization requests must be pushed (PAR, RFC 9126)');
  }

  /** The token endpoint: access tokens of profile clients are sender-constrained (DPoP or mTLS). */
  tokenProblem(client: Fapi2Client, constraint: SenderConstraint): InvalidRequest | undefined {
    if (!this.appliesTo(client) || constraint.dpop || constraint.certificate) return undefined;
    return new InvalidRequest('FAPI 2.0: access tokens are sender-constrained; send a DPoP proof or use mutual TLS');
  }

  /** Authorization code lifetime for the client (seconds). */
  codeLifetime(client: Pick<Fapi2Client, 'fapiProfile'>, configured: number): number {
    return this.appliesTo(client) ? Math.min(configured, FAPI2_MAX_CODE_LIFETIME) : configured;
  }

  /** Whether a refresh spends the presented token and returns a successor. */
  rotatesRefreshTokens(client: Pick<Fapi2Client, 'fapiProfile'>): boolean {
    return !this.appliesTo(client) || this.settings.rotateRefreshTokens;
  }
}
