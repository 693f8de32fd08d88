import type { JSONWebKeySet } from 'jose';

export const AUTH_METHODS = [
  'none',
  'client_secret_basic',
  'client_secret_post',
  'client_secret_jwt',
  'private_key_jwt',
] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

export type ClientType = 'public' | 'confidential';

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
  accessTokenTtl: number | null;
  refreshTokenTtl: number | null;
  idTokenTtl: number | null;
  registrationAccessTokenHash: string | null;
  /** Descriptive RFC 7591 metadata kept as given (client_uri, logo_uri, contacts, tos_uri, policy_uri, software_*). */
  metadata: Record<string, unknown>;
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
