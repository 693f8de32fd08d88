/** Row types of every table, as Kysely sees them. Timestamps are epoch seconds; booleans are 0/1. */
export interface UsersTable {
  id: string;
  email: string;
  email_verified: number;
  given_name: string | null;
  family_name: string | null;
  name: string | null;
  password_hash: string | null;
  disabled_at: number | null;
  created_at: number;
  updated_at: number;
  /** JSON object of the standard claims without a column of their own (migration 0007). */
  profile_claims: string | null;
}

export interface UserIdentitiesTable {
  id: string;
  user_id: string;
  provider: string;
  subject: string;
  created_at: number;
}

export interface ProjectsTable {
  id: string;
  /** The numeric key that names the project's partitions (`oauth_clients_p<num>`). */
  num: number;
  name: string;
  slug: string;
  created_at: number;
}

/** Which project each client belongs to: the globally unique client key the children reference. */
export interface ClientDirectoryTable {
  client_id: string;
  project_id: string;
  created_at: number;
}

export interface OAuthClientScopesTable {
  project_id: string;
  client_id: string;
  scope: string;
}

export interface ProjectMembersTable {
  project_id: string;
  user_id: string;
  role: 'owner' | 'admin' | 'member';
  created_at: number;
}

export interface OAuthClientsTable {
  client_id: string;
  project_id: string;
  name: string;
  client_type: 'public' | 'confidential';
  token_endpoint_auth_method: string;
  token_endpoint_auth_signing_alg: string | null;
  secret_enc: string | null;
  redirect_uris: string;
  post_logout_redirect_uris: string;
  allowed_origins: string;
  grant_types: string;
  response_types: string;
  scope: string;
  resources: string;
  pkce_required: number;
  is_default: number;
  skip_consent: number;
  jwks: string | null;
  jwks_uri: string | null;
  id_token_signed_response_alg: string | null;
  userinfo_signed_response_alg: string | null;
  introspection_signed_response_alg: string | null;
  authorization_signed_response_alg: string | null;
  access_token_ttl: number | null;
  refresh_token_ttl: number | null;
  id_token_ttl: number | null;
  application_type: string;
  request_object_signing_alg: string | null;
  default_max_age: number | null;
  require_auth_time: number;
  dpop_bound_access_tokens: number;
  registration_access_token_hash: string | null;
  metadata: string;
  created_at: number;
  updated_at: number;
  /** Migration 0007: OpenID Connect Core §8 subject type, sector_identifier_uri and the resolved sector host. */
  subject_type: string;
  sector_identifier_uri: string | null;
  sector_host: string | null;
  /** Migration 0009: `jwt` or `opaque` (issue 13). */
  access_token_format: string;
  fapi_profile: string | null;
  require_pushed_authorization_requests: number;
  /** Migration 0012: RFC 8705 §2.1.2, at most one set; §3.4 as 0/1. */
  tls_client_auth_subject_dn: string | null;
  tls_client_auth_san_dns: string | null;
  tls_client_auth_san_uri: string | null;
  tls_client_auth_san_ip: string | null;
  tls_client_auth_san_email: string | null;
  tls_client_certificate_bound_access_tokens: number;
}

export interface ClientSecretsTable {
  id: string;
  client_id: string;
  hash: string;
  kind: 'hmac-sha256' | 'argon2id';
  created_at: number;
  expires_at: number | null;
}

export interface ScopesTable {
  id: string;
  /** null for the built-in scopes. */
  project_id: string | null;
  name: string;
  description: string;
  operator_only: number;
  created_at: number;
}

export interface GrantsTable {
  id: string;
  client_id: string;
  user_id: string | null;
  scope: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  /** The normalized `claims` request parameter of the authorization (migration 0007). */
  claims: string | null;
}

export interface AuthorizationCodesTable {
  code_hash: string;
  grant_id: string;
  client_id: string;
  user_id: string;
  redirect_uri: string;
  scope: string;
  resource: string | null;
  nonce: string | null;
  code_challenge: string | null;
  code_challenge_method: string | null;
  auth_time: number;
  sid: string | null;
  amr: string | null;
  claims: string | null;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
  /** RFC 9449 §10 (migration 0011). */
  dpop_jkt: string | null;
}

export interface RefreshTokensTable {
  token_hash: string;
  grant_id: string;
  client_id: string;
  user_id: string | null;
  scope: string;
  resource: string | null;
  auth_time: number | null;
  sid: string | null;
  amr: string | null;
  parent_hash: string | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  revoked_at: number | null;
  /** RFC 9449 §5: the key a public client's family is bound to (migration 0011). */
  dpop_jkt: string | null;
  /** Migration 0012: RFC 8705 §4, a public client's refresh token bound to its certificate. */
  cnf_x5t_s256: string | null;
}

export interface RevokedAccessTokensTable {
  jti: string;
  expires_at: number;
}

/** Opaque access tokens (migration 0009): only the sha256 of the token, with the claims a JWT would carry. */
export interface OpaqueAccessTokensTable {
  token_hash: string;
  jti: string;
  client_id: string;
  grant_id: string | null;
  sub: string;
  scope: string;
  /** JSON: a string or an array of strings, as the JWT's `aud`. */
  aud: string;
  auth_time: number | null;
  /** JSON confirmation claim (RFC 7800) when the token is sender-constrained, else null. */
  cnf: string | null;
  issued_at: number;
  expires_at: number;
}

export interface ConsentsTable {
  user_id: string;
  client_id: string;
  scope: string;
  created_at: number;
  updated_at: number;
}

export interface BrowserSessionsTable {
  id: string;
  secret_hash: string;
  user_id: string;
  sid: string;
  auth_time: number;
  amr: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  state: 'next' | 'active' | 'retired';
  private_jwk_enc: string;
  public_jwk: string;
  created_at: number;
  activated_at: number | null;
  retired_at: number | null;
  publish_until: number | null;
}

export interface UpstreamProvidersTable {
  id: string;
  client_id: string;
  client_secret_enc: string;
  redirect_url: string;
  scopes: string;
  enabled: number;
  created_at: number;
  updated_at: number;
}

export interface RegistrationTokensTable {
  token_hash: string;
  uses_remaining: number | null;
  created_at: number;
  expires_at: number | null;
}

/** RFC 9449 §11.1: DPoP proof jtis seen by any node (migration 0011). */
export interface DpopProofJtisTable {
  jti_hash: string;
  expires_at: number;
}

export interface ClientAssertionJtisTable {
  jti_hash: string;
  expires_at: number;
}

/** Append-only (src/audit/audit.store.ts): inserted, listed, purged past retention; never updated. */
export interface AuditEventsTable {
  id: string;
  at: number;
  actor_type: 'user' | 'client' | 'system';
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  project_id: string | null;
  outcome: 'success' | 'failure';
  request_id: string | null;
  ip: string | null;
  user_agent: string | null;
  detail: string | null;
}

/** Clients a browser session has issued grants to (migration 0005): whom to tell when it ends. */
export interface SessionClientsTable {
  sid: string;
  client_id: string;
  user_id: string;
  created_at: number;
}

/** RFC 9126 pushed authorization requests (migration 0010). */
export interface ParRequestsTable {
  reference_hash: string;
  id: string;
  client_id: string;
  params: string;
  created_at: number;
  expires_at: number;
}

/** RFC 8628 device authorizations (migration 0017, src/device/). */
export interface DeviceAuthorizationsTable {
  id: string;
  client_id: string;
  device_code_hash: string;
  user_code_hash: string;
  scope: string;
  resource: string | null;
  status: string;
  user_id: string | null;
  grant_id: string | null;
  auth_time: number | null;
  amr: string | null;
  poll_interval: number;
  last_polled_at: number | null;
  created_at: number;
  expires_at: number;
}

export interface Database {
  device_authorizations: DeviceAuthorizationsTable;
  oauth_par_requests: ParRequestsTable;
  users: UsersTable;
  user_identities: UserIdentitiesTable;
  projects: ProjectsTable;
  project_members: ProjectMembersTable;
  oauth_clients: OAuthClientsTable;
  client_directory: ClientDirectoryTable;
  oauth_client_scopes: OAuthClientScopesTable;
  client_secrets: ClientSecretsTable;
  scopes: ScopesTable;
  grants: GrantsTable;
  authorization_codes: AuthorizationCodesTable;
  refresh_tokens: RefreshTokensTable;
  revoked_access_tokens: RevokedAccessTokensTable;
  opaque_access_tokens: OpaqueAccessTokensTable;
  consents: ConsentsTable;
  browser_sessions: BrowserSessionsTable;
  signing_keys: SigningKeysTable;
  upstream_providers: UpstreamProvidersTable;
  registration_tokens: RegistrationTokensTable;
  client_assertion_jtis: ClientAssertionJtisTable;
  dpop_proof_jtis: DpopProofJtisTable;
  audit_events: AuditEventsTable;
  session_clients: SessionClientsTable;
}
