import type { JSONWebKeySet } from 'jose';

export const AUTH_METHODS = [
  'none',
  'client_secret_basic',
  'client_secret_post',
  'client_secret_jwt',
  'private_key_jwt',
  'tls_client_auth',
  'self_signed_tls_client_auth',
] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

/** RFC 8705 §2: mutual-TLS client authentication (src/mtls/), advertised only when mTLS is configured. */
export const MTLS_AUTH_METHODS = ['tls_client_auth', 'self_signed_tls_client_auth'] as const satisfies readonly AuthMethod[];

/** RFC 8705 §2.1.2: the certificate field a tls_client_auth client is registered with (exactly one). */
export const TLS_CLIENT_AUTH_FIELDS = [
  'tls_client_auth_subject_dn',
  'tls_client_auth_san_dns',
  'tls_client_auth_san_uri',
  'tls_client_auth_san_ip',
  'tls_client_auth_san_email',
] as const;
export type TlsClientAuthField = (typeof TLS_CLIENT_AUTH_FIELDS)[number];

export const GRANT_TYPES = [
  'authorization_code',
  'refresh_token',
  'client_credentials',
  'urn:ietf:params:oauth:grant-type:token-exchange',
  // RFC 8628 (src/device/).
  'urn:ietf:params:oauth:grant-type:device_code',
] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

export type ClientType = 'public' | 'confidential';

/** Issue 13: access tokens as RFC 9068 JWTs (the default) or as opaque random values looked up at introspection. */
export const ACCESS_TOKEN_FORMATS = ['jwt', 'opaque'] as const;
export type AccessTokenFormat = (typeof ACCESS_TOKEN_FORMATS)[number];

export const APPLICATION_TYPES = ['web', 'native'] as const;
export type ApplicationType = (typeof APPLICATION_TYPES)[number];

/** Signature algorithms accepted for private_key_jwt assertions (RFC 7523). */
export const ASYMMETRIC_ASSERTION_ALGS = ['RS256', 'PS256', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
/** HMAC algorithms accepted for client_secret_jwt assertions. */
export const HMAC_ASSERTION_ALGS = ['HS256', 'HS384', 'HS512'] as const;
export const ASSERTION_ALGS: readonly string[] = [...ASYMMETRIC_ASSERTION_ALGS, ...HMAC_ASSERTION_ALGS];

/** A registered OAuth client, as the domain sees it. */
export interface Client {
  clientId: string;
  /** The project the client belongs to (its partition on PostgreSQL). */
  projectId: string;
  name: string;
  clientType: ClientType;
  tokenEndpointAuthMethod: AuthMethod;
  /** For client_secret_jwt / private_key_jwt: the one alg the client's assertions may use (optional). */
  tokenEndpointAuthSigningAlg: string | null;
  /** The secret sealed with AES-256-GCM; kept only for client_secret_jwt, whose HMAC needs it. */
  secretEnc: string | null;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  allowedOrigins: string[];
  grantTypes: GrantType[];
  responseTypes: string[];
  scopes: string[];
  /** RFC 8707 resource indicators this client may request. */
  resources: string[];
  pkceRequired: boolean;
  isDefault: boolean;
  skipConsent: boolean;
  jwks: JSONWebKeySet | null;
  jwksUri: string | null;
  idTokenSignedResponseAlg: string | null;
  /** OIDC Core §5.3.2: when set, userinfo answers a JWT signed with this alg. */
  userinfoSignedResponseAlg: string | null;
  /** RFC 9701: alg of JWT introspection responses (RS256 when null). */
  introspectionSignedResponseAlg: string | null;
  /** JARM: alg of signed authorization responses (RS256 when null). */
  authorizationSignedResponseAlg: string | null;
  /** `opaque`: this client's access tokens are random values, stored hashed, that only introspection reads. */
  accessTokenFormat: AccessTokenFormat;
  /** RFC 9126 §6: this client's authorization requests must be pushed (par/). */
  requirePushedAuthorizationRequests?: boolean;
  /** Issue 11: `fapi2_security_profile` puts the client under FAPI 2.0 (src/fapi/); null for none. */
  fapiProfile?: string | null;
  accessTokenTtl: number | null;
  refreshTokenTtl: number | null;
  idTokenTtl: number | null;
  /** OIDC Dynamic Client Registration §2: `web` (https redirect URIs on a real host) or `native`. */
  applicationType: ApplicationType;
  /** The one alg this client's request objects must use; `none` allows unsigned ones (OIDC Core §6.1). */
  requestObjectSigningAlg: string | null;
  /** Applied as max_age when an authorization request has none (seconds). */
  defaultMaxAge: number | null;
  /** auth_time is always in the ID token (it already is for every client; kept as registered). */
  requireAuthTime: boolean;
  /** RFC 9449 §5.2: every token request of this client must carry a DPoP proof. */
  dpopBoundAccessTokens?: boolean;
  registrationAccessTokenHash: string | null;
  /** Descriptive RFC 7591 metadata kept as given (client_uri, logo_uri, contacts, tos_uri, policy_uri, software_*). */
  metadata: Record<string, unknown>;
  /** OpenID Connect Core §8: `pairwise` clients see a per-sector `sub` (src/subjects/); absent means public. */
  subjectType?: 'public' | 'pairwise';
  sectorIdentifierUri?: string | null;
  /** The sector host the pairwise `sub` is computed for, fixed at registration (src/subjects/sector.ts). */
  sectorHost?: string | null;
  /** RFC 8705 §2.1.2 (src/mtls/): the one certificate field and value tls_client_auth expects. */
  tlsClientAuth?: { field: TlsClientAuthField; value: string } | null;
  /** RFC 8705 §3: access tokens issued over mTLS carry `cnf.x5t#S256`; requests without a certificate are refused. */
  certificateBoundAccessTokens?: boolean;
  createdAt: number;
  updatedAt: number;
}

export type SecretKind = 'hmac-sha256' | 'argon2id';

export interface ClientSecret {
  id: string;
  clientId: string;
  hash: string;
  kind: SecretKind;
  createdAt: number;
  /** Set when the secret was rotated out; it keeps working until then. */
  expiresAt: number | null;
}

/** RFC 8707 §2: `resource` is an absolute URI without fragment, and one this client registered. */
export function mayRequestResource(client: Pick<Client, 'resources'>, resource: string): boolean {
  return URL.canParse(resource) && !resource.includes('#') && client.resources.includes(resource);
}
