/**
 * The discovery documents (OpenID Connect Discovery 1.0 §3, RFC 8414 §2). Built once at startup from what the
 * server actually implements: an endpoint or method appears here only when it works.
 */
export interface DiscoveryInput {
  issuer: string;
  scopes: readonly string[];
  idTokenAlgs: readonly string[];
  accessTokenAlgs: readonly string[];
  registrationEnabled: boolean;
}

import { ASSERTION_ALGS, AUTH_METHODS as ALL_METHODS } from '../clients/client.js';

const AUTH_METHODS = ALL_METHODS.filter((m) => m !== 'none');

export function authorizationServerMetadata(input: DiscoveryInput): Record<string, unknown> {
  const url = (path: string) => `${input.issuer}${path}`;
  return {
    issuer: input.issuer,
    authorization_endpoint: url('/oauth/authorize'),
    token_endpoint: url('/oauth/token'),
    jwks_uri: url('/jwks.json'),
    ...(input.registrationEnabled ? { registration_endpoint: url('/oauth/register') } : {}),
    scopes_supported: input.scopes,
    response_types_supported: ['code'],
    response_modes_supported: ['query', 'fragment', 'form_post'],
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    // `none`: public clients (PKCE) at the token and revocation endpoints; introspection needs a confidential client.
    token_endpoint_auth_methods_supported: ['none', ...AUTH_METHODS],
    token_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
    introspection_endpoint: url('/oauth/introspect'),
    introspection_endpoint_auth_methods_supported: AUTH_METHODS,
    introspection_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
    revocation_endpoint: url('/oauth/revoke'),
    revocation_endpoint_auth_methods_supported: ['none', ...AUTH_METHODS],
    revocation_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
    code_challenge_methods_supported: ['S256'],
    authorization_response_iss_parameter_supported: true,
    access_token_signing_alg_values_supported: input.accessTokenAlgs,
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: input.idTokenAlgs,
  };
}

export function openidConfiguration(input: DiscoveryInput): Record<string, unknown> {
  return {
    ...authorizationServerMetadata(input),
    userinfo_endpoint: `${input.issuer}/oauth/userinfo`,
    end_session_endpoint: `${input.issuer}/oauth/logout`,
    prompt_values_supported: ['none', 'login', 'consent', 'select_account'],
    claims_parameter_supported: true,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
    claims_supported: [
      'sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'at_hash', 'sid', 'amr',
      'email', 'email_verified', 'name', 'given_name', 'family_name', 'updated_at',
    ],
  };
}
