import type { Selectable } from 'kysely';
import type { JSONWebKeySet } from 'jose';
import { TLS_CLIENT_AUTH_FIELDS, type Client, type ClientSecret, type GrantType, type AuthMethod } from '../../clients/client.js';
import type { ClientStore } from '../../clients/client.store.js';
import type { OAuthClientsTable } from '../schema.js';
import { inTransaction, type Executor } from '../stores.js';
import { prepared } from '../prepared.js';

const list = (s: string): string[] => JSON.parse(s) as string[];

const toClient = (r: Selectable<OAuthClientsTable>): Client => ({
  clientId: r.client_id,
  projectId: r.project_id,
  name: r.name,
  clientType: r.client_type,
  tokenEndpointAuthMethod: r.token_endpoint_auth_method as AuthMethod,
  tokenEndpointAuthSigningAlg: r.token_endpoint_auth_signing_alg,
  secretEnc: r.secret_enc,
  redirectUris: list(r.redirect_uris),
  postLogoutRedirectUris: list(r.post_logout_redirect_uris),
  allowedOrigins: list(r.allowed_origins),
  grantTypes: list(r.grant_types) as GrantType[],
  responseTypes: list(r.response_types),
  scopes: r.scope ? r.scope.split(' ') : [],
  resources: list(r.resources),
  pkceRequired: r.pkce_required === 1,
  isDefault: r.is_default === 1,
  skipConsent: r.skip_consent === 1,
  jwks: r.jwks ? (JSON.parse(r.jwks) as JSONWebKeySet) : null,
  jwksUri: r.jwks_uri,
  idTokenSignedResponseAlg: r.id_token_signed_response_alg,
  userinfoSignedResponseAlg: r.userinfo_signed_response_alg,
  introspectionSignedResponseAlg: r.introspection_signed_response_alg,
  authorizationSignedResponseAlg: r.authorization_signed_response_alg,
  accessTokenFormat: r.access_token_format === 'opaque' ? 'opaque' : 'jwt',
  fapiProfile: r.fapi_profile,
  requirePushedAuthorizationRequests: r.require_pushed_authorization_requests === 1,
  accessTokenTtl: r.access_token_ttl,
  refreshTokenTtl: r.refresh_token_ttl,
  idTokenTtl: r.id_token_ttl,
  applicationType: r.application_type === 'native' ? 'native' : 'web',
  requestObjectSigningAlg: r.request_object_signing_alg,
  defaultMaxAge: r.default_max_age,
  requireAuthTime: r.require_auth_time === 1,
  ...(r.dpop_bound_access_tokens === 1 ? { dpopBoundAccessTokens: true } : {}),
  registrationAccessTokenHash: r.registration_access_token_hash,
  metadata: JSON.parse(r.metadata) as Record<string, unknown>,
  // Optional on Client: a public client without a sector reads back exactly as it was written.
  ...(r.subject_type === 'pairwise' ? { subjectType: 'pairwise' as const } : {}),
  ...(r.sector_identifier_uri ? { sectorIdentifierUri: r.sector_identifier_uri } : {}),
  ...(r.sector_host ? { sectorHost: r.sector_host } : {}),
  ...mtlsOf(r),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** Migration 0012: the one tls_client_auth subject column set, and the binding flag (left out when unset). */
function mtlsOf(r: Selectable<OAuthClientsTable>): Pick<Client, 'tlsClientAuth' | 'certificateBoundAccessTokens'> {
  const field = TLS_CLIENT_AUTH_FIELDS.find((f) => r[f] !== null);
  return {
    ...(field ? { tlsClientAuth: { field, value: r[field] as string } } : {}),
    ...(r.tls_client_certificate_bound_access_tokens === 1 ? { certificateBoundAccessTokens: true } : {}),
  };
}

const mtlsColumn = (c: Client, field: (typeof TLS_CLIENT_AUTH_FIELDS)[number]) => (c.tlsClientAuth?.field === field ? c.tlsClientAuth.value : null);

const toRow = (c: Client): OAuthClientsTable => ({
  client_id: c.clientId,
  project_id: c.projectId,
  name: c.name,
  client_type: c.clientType,
  token_endpoint_auth_method: c.tokenEndpointAuthMethod,
  token_endpoint_auth_signing_alg: c.tokenEndpointAuthSigningAlg,
  secret_enc: c.secretEnc,
  redirect_uris: JSON.stringify(c.redirectUris),
  post_logout_redirect_uris: JSON.stringify(c.postLogoutRedirectUris),
  allowed_origins: JSON.stringify(c.allowedOrigins),
  grant_types: JSON.stringify(c.grantTypes),
  response_types: JSON.stringify(c.responseTypes),
  scope: c.scopes.join(' '),
  resources: JSON.stringify(c.resources),
  pkce_required: c.pkceRequired ? 1 : 0,
  is_default: c.isDefault ? 1 : 0,
  skip_consent: c.skipConsent ? 1 : 0,
  jwks: c.jwks ? JSON.stringify(c.jwks) : null,
  jwks_uri: c.jwksUri,
  id_token_signed_response_alg: c.idTokenSignedResponseAlg,
  userinfo_signed_response_alg: c.userinfoSignedResponseAlg,
  introspection_signed_response_alg: c.introspectionSignedResponseAlg,
  authorization_signed_response_alg: c.authorizationSignedResponseAlg,
  access_token_format: c.accessTokenFormat,
  fapi_profile: c.fapiProfile ?? null,
  require_pushed_authorization_requests: c.requirePushedAuthorizationRequests ? 1 : 0,
  access_token_ttl: c.accessTokenTtl,
  refresh_token_ttl: c.refreshTokenTtl,
  id_token_ttl: c.idTokenTtl,
  application_type: c.applicationType,
  request_object_signing_alg: c.requestObjectSigningAlg,
  default_max_age: c.defaultMaxAge,
  require_auth_time: c.requireAuthTime ? 1 : 0,
  dpop_bound_access_tokens: c.dpopBoundAccessTokens ? 1 : 0,
  registration_access_token_hash: c.registrationAccessTokenHash,
  metadata: JSON.stringify(c.metadata),
  subject_type: c.subjectType ?? 'public',
  sector_identifier_uri: c.sectorIdentifierUri ?? null,
  sector_host: c.sectorHost ?? null,
  tls_client_auth_subject_dn: mtlsColumn(c, 'tls_client_auth_subject_dn'),
  tls_client_auth_san_dns: mtlsColumn(c, 'tls_client_auth_san_dns'),
  tls_client_auth_san_uri: mtlsColumn(c, 'tls_client_auth_san_uri'),
  tls_client_auth_san_ip: mtlsColumn(c, 'tls_client_auth_san_ip'),
  tls_client_auth_san_email: mtlsColumn(c, 'tls_client_auth_san_email'),
  tls_client_certificate_bound_access_tokens: c.certificateBoundAccessTokens ? 1 : 0,
  created_at: c.createdAt,
  updated_at: c.updatedAt,
});

const BY_ID = (db: Executor) => db.selectFrom('oauth_clients').selectAll().where('client_id', '=', '');
/** Parameters: client_id, now. */
const LIVE_SECRETS = (db: Executor) =>
  db
    .selectFrom('client_secrets')
    .selectAll()
    .where('client_id', '=', '')
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', 0)]))
    .orderBy('created_at', 'desc');

async function insertScopes(db: Executor, c: Client): Promise<void> {
  const rows = [...new Set(c.scopes)].map((scope) => ({ project_id: c.projectId, client_id: c.clientId, scope }));
  if (rows.length) await db.insertInto('oauth_client_scopes').values(rows).execute();
}

export function kyselyClientStore(db: Executor): ClientStore {
  const byId = prepared(db, BY_ID);
  const liveSecrets = prepared(db, LIVE_SECRETS);
  return {
    async find(clientId) {
      const [r] = await byId(clientId);
      return r && toClient(r);
    },
    async findByRegistrationToken(hash) {
      const r = await db
        .selectFrom('oauth_clients')
        .selectAll()
        .where('registration_access_token_hash', '=', hash)
        .executeTakeFirst();
      return r && toClient(r);
    },
    async list(projectId) {
      let q = db.selectFrom('oauth_clients').selectAll();
      if (projectId !== undefined) q = q.where('project_id', '=', projectId);
      return (await q.orderBy('created_at').orderBy('client_id').execute()).map(toClient);
    },
    // The directory row (the client's global key), the client in its project's partition, and one row per scope
    // it may request: written together, in the caller's transaction.
    async insert(c) {
      await inTransaction(db, async (tx) => {
        await tx.insertInto('client_directory').values({ client_id: c.clientId, project_id: c.projectId, created_at: c.createdAt }).execute();
        await tx.insertInto('oauth_clients').values(toRow(c)).execute();
        await insertScopes(tx, c);
      });
    },
    async update(c) {
      const { client_id, created_at: _createdAt, project_id: _projectId, ...changes } = toRow(c);
      await inTransaction(db, async (tx) => {
        await tx.updateTable('oauth_clients').set(changes).where('client_id', '=', client_id).execute();
        await tx.deleteFrom('oauth_client_scopes').where('client_id', '=', client_id).execute();
        await insertScopes(tx, c);
      });
    },
    async delete(clientId) {
      return inTransaction(db, async (tx) => {
        // The client row first (on SQLite its secrets, grants and consents cascade from it), then the directory
        // row, from which everything cascades on PostgreSQL.
        const r = await tx.deleteFrom('oauth_clients').where('client_id', '=', clientId).executeTakeFirst();
        await tx.deleteFrom('client_directory').where('client_id', '=', clientId).execute();
        return r.numDeletedRows > 0n;
      });
    },
    async secrets(clientId, now) {
      const rows = await liveSecrets(clientId, now);
      return rows.map(
        (r): ClientSecret => ({
          id: r.id,
          clientId: r.client_id,
          hash: r.hash,
          kind: r.kind,
          createdAt: r.created_at,
          expiresAt: r.expires_at,
        }),
      );
    },
    async addSecret(s) {
      await db
        .insertInto('client_secrets')
        .values({ id: s.id, client_id: s.clientId, hash: s.hash, kind: s.kind, created_at: s.createdAt, expires_at: s.expiresAt })
        .execute();
    },
    async expireSecrets(clientId, keep, expiresAt) {
      await db
        .updateTable('client_secrets')
        .set({ expires_at: expiresAt })
        .where('client_id', '=', clientId)
        .where('id', '<>', keep)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', expiresAt)]))
        .execute();
    },
  };
}
