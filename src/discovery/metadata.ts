/**
 * The discovery documents (OpenID Connect Discovery 1.0 §3, RFC 8414 §2). Built once at startup from what the
 * server actually implements: an endpoint or method appears here only when it works.
 */
export interface DiscoveryInput {
  issuer: string;
  scopes: readonly string[];
  idTokenAlgs: readonly string[];
  /** Algs clients may choose for signed userinfo, introspection and JARM responses (issue 14). */
  signingAlgs: readonly string[];
  accessTokenAlgs: readonly string[];
  registrationEnabled: boolean;
  /** Self-service sign-up (prompt=create) is on. */
  signupEnabled?: boolean;
  /** RFC 9126: every authorization request must be pushed (`auth.par.required`). */
  parRequired?: boolean;
  /** RFC 9449 §5.1: the DPoP proof algs, when DPoP is on. */
  dpopAlgs?: readonly string[] | undefined;
  /** RFC 8628 is on (`auth.device.enabled`): the device authorization endpoint and the device_code grant. */
  deviceAuthorization?: boolean;
  /** RFC 8705 is configured (a TLS listener or a trusted proxy's header); endpointBaseUrl when it differs. */
  mtls?: { endpointBaseUrl?: string | undefined } | undefined;
}

import { supportedClaims } from '../claims/catalogue.js';
import { ASSERTION_ALGS, AUTH_METHODS as ALL_METHODS, MTLS_AUTH_METHODS } from '../clients/client.js';
import { JARM_MODES } from '../jarm/jarm.js';
import { REQUEST_OBJECT_ALGS } from '../clients/registration-rules.js';

const isMtls = (m: string) => (MTLS_AUTH_METHODS as readonly string[]).includes(m);

/** RFC 8705 §3.3 and §5: bound tokens, and the endpoint aliases when mTLS is served on another base URL. */
function mtlsMetadata(input: DiscoveryInput): Record<string, unknown> {
  const base = input.mtls?.endpointBaseUrl;
  if (!input.mtls) return {};
  return {
    tls_client_certificate_bound_access_tokens: true,
    ...(base && base !== input.issuer
      ? {
          mtls_endpoint_aliases: {
            token_endpoint: `${base}/oauth/token`,
            revocation_endpoint: `${base}/oauth/revoke`,
            introspection_endpoint: `${base}/oauth/introspect`,
            userinfo_endpoint: `${base}/oauth/userinfo`,
          },
        }
      : {}),
  };
}

export function authorizationServerMetadata(input: DiscoveryInput): Record<string, unknown> {
  const url = (path: string) => `${input.issuer}${path}`;
  // The mTLS methods only when mTLS is configured (RFC 8705 §2.3).
  const AUTH_METHODS = ALL_METHODS.filter((m) => m !== 'none' && (input.mtls !== undefined || !isMtls(m)));
  return {
    issuer: input.issuer,
    authorization_endpoint: url('/oauth/authorize'),
    token_endpoint: url('/oauth/token'),
    // RFC 9126 §5.
    pushed_authorization_request_endpoint: url('/oauth/par'),
    require_pushed_authorization_requests: input.parRequired === true,
    jwks_uri: url('/jwks.json'),
    ...(input.registrationEnabled ? { registration_endpoint: url('/oauth/register') } : {}),
    scopes_supported: input.scopes,
    response_types_supported: ['code'],
    response_modes_supported: ['query', 'fragment', 'form_post', ...JARM_MODES],
    authorization_signing_alg_values_supported: input.signingAlgs,
    grant_types_supported: [
      'authorization_code',
      'refresh_token',
      'client_credentials',
      'urn:ietf:params:oauth:grant-type:token-exchange',
      ...(input.deviceAuthorization ? ['urn:ietf:params:oauth:grant-type:device_code'] : []),
    ],
    // RFC 8628 §4.
    ...(input.deviceAuthorization ? { device_authorization_endpoint: url('/oauth/device_authorization') } : {}),
    // `none`: public clients (PKCE) at the token and revocation endpoints; introspection needs a confidential client.
    token_endpoint_auth_methods_supported: ['none', ...AUTH_METHODS],
    token_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
    introspection_endpoint: url('/oauth/introspect'),
    introspection_endpoint_auth_methods_supported: AUTH_METHODS,
    introspection_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
    introspection_signing_alg_values_supported: input.signingAlgs,
    revocation_endpoint: url('/oauth/revoke'),
    revocation_endpoint_auth_methods_supported: ['none', ...AUTH_METHODS],
    revocation_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
    code_challenge_methods_supported: ['S256'],
    authorization_response_iss_parameter_supported: true,
    access_token_signing_alg_values_supported: input.accessTokenAlgs,
    subject_types_supported: ['public', 'pairwise'],
    id_token_signing_alg_values_supported: input.idTokenAlgs,
    ...(input.dpopAlgs ? { dpop_signing_alg_values_supported: input.dpopAlgs } : {}),
    ...mtlsMetadata(input),
  };
}

export function openidConfiguration(input: DiscoveryInput): Record<string, unknown> {
  return {
    ...authorizationServerMetadata(input),
    userinfo_endpoint: `${input.issuer}/oauth/userinfo`,
    end_session_endpoint: `${input.issuer}/oauth/logout`,
    // Back-Channel Logout 1.0 §2.1 and Front-Channel Logout 1.0 §3 (src/logout/): sid is always sent.
    backchannel_logout_supported: true,
    backchannel_logout_session_supported: true,
    frontchannel_logout_supported: true,
    frontchannel_logout_session_supported: true,
    userinfo_signing_alg_values_supported: input.signingAlgs,
    prompt_values_supported: ['none', 'login', 'consent', 'select_account', ...(input.signupEnabled ? ['create'] : [])],
    claims_parameter_supported: true,
    request_parameter_supported: true,
    request_uri_parameter_supported: false,
    // OIDC Core §6.1 / Discovery §3: `none` is listed, and accepted only from clients registered for it.
    request_object_signing_alg_values_supported: REQUEST_OBJECT_ALGS,
    // Exactly what can be released: the ID token's own claims and every standard claim (src/claims/catalogue.ts).
    claims_supported: supportedClaims(),
  };
}
