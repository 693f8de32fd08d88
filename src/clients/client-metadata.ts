/**
 * The one place client metadata rules live (RFC 7591 §2), shared by the CLI, the admin API and dynamic
 * registration. Input uses RFC 7591 names; output is the domain Client's fields.
 */
import { InvalidClientMetadata, InvalidRedirectUri } from '../oauth/errors.js';
import { redirectUriProblem, isLoopback } from '../oauth/redirect-uri.js';
import { isScopeToken } from '../oauth/scope.js';
import { oidcRegistrationFields, reconcileTypes } from './registration-rules.js';
import { LOGOUT_METADATA_FIELDS, validateLogoutMetadata } from './logout-metadata.js';
import { FAPI2_PROFILE, type Fapi2Profile } from '../fapi/fapi2-profile.js';
import { MTLS_METADATA_FIELDS, mtlsMetadataView, validateMtlsMetadata } from '../mtls/mtls-metadata.js';
import { ACCESS_TOKEN_FORMATS, ASSERTION_ALGS, AUTH_METHODS, GRANT_TYPES, type AccessTokenFormat, type AuthMethod, type Client, type GrantType } from './client.js';

export type ClientMetadataInput = Record<string, unknown>;

/** Who is registering: operators (CLI, admin API) may set fields self-registered clients may not. */
export type Registrar = 'operator' | 'dynamic';

export interface MetadataContext {
  registrar: Registrar;
  /** Signing algs the server can verify client assertions with / sign ID tokens with. */
  idTokenAlgs: readonly string[];
  /** Scopes only an operator may grant (e.g. `admin`). */
  operatorScopes: readonly string[];
  /** Resource indicators configured on the server. */
  resources: readonly string[];
  /** `registration.allowedScopes`: the only scopes a self-registered client may hold (never an operator scope). */
  registrationScopes: readonly string[];
  /** `outbound.allowInsecureLoopback`: http logout URIs to a loopback host are accepted (development only). */
  allowInsecureLoopback?: boolean;
  /** The FAPI 2.0 rules a profile client's metadata must meet (src/fapi/). */
  fapi?: Fapi2Profile;
  /** Mutual TLS is configured (server.tls or server.mtls.certificateHeader): RFC 8705 metadata is accepted. */
  mtlsEnabled?: boolean;
}

export type ClientFields = Omit<
  Client,
  'clientId' | 'projectId' | 'secretEnc' | 'isDefault' | 'registrationAccessTokenHash' | 'createdAt' | 'updatedAt'
>;

const DESCRIPTIVE = ['client_uri', 'logo_uri', 'tos_uri', 'policy_uri', 'contacts', 'software_id', 'software_version', 'initiate_login_uri'];
const KNOWN = new Set([
  ...DESCRIPTIVE,
  'client_name',
  'redirect_uris',
  'post_logout_redirect_uris',
  'allowed_origins',
  'token_endpoint_auth_method',
  'token_endpoint_auth_signing_alg',
  'grant_types',
  'response_types',
  'scope',
  'resources',
  'jwks',
  'jwks_uri',
  'pkce_required',
  'skip_consent',
  'id_token_signed_response_alg',
  'userinfo_signed_response_alg',
  'introspection_signed_response_alg',
  'authorization_signed_response_alg',
  'access_token_format',
  'fapi_profile',
  'require_pushed_authorization_requests',
  'access_token_ttl',
  'refresh_token_ttl',
  'id_token_ttl',
  // OIDC Dynamic Client Registration §2 (registration-rules.ts)
  'application_type',
  'request_object_signing_alg',
  'default_max_age',
  'require_auth_time',
  'dpop_bound_access_tokens',
  ...LOGOUT_METADATA_FIELDS,
  ...MTLS_METADATA_FIELDS,
  'subject_type',
  'sector_identifier_uri',
  // handled by the service, not here
  'client_id',
  'client_secret',
]);

/** Server-assigned fields a client echoes back on RFC 7592 update; ignored on input. */
const READ_ONLY = new Set([
  'client_id_issued_at',
  'client_secret_expires_at',
  'registration_client_uri',
  'registration_access_token',
  'client_type',
  'is_default',
]);

const fail = (field: string, reason: string): never => {
  throw new InvalidClientMetadata(`${field}: ${reason}`);
};

function stringList(input: ClientMetadataInput, field: string, fallback: string[]): string[] {
  const v = input[field];
  if (v === undefined) return fallback;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x === '')) fail(field, 'must be an array of strings');
  return [...new Set(v as string[])];
}

function optionalString(input: ClientMetadataInput, field: string): string | null {
  const v = input[field];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || v === '') fail(field, 'must be a non-empty string');
  return v as string;
}

function optionalBool(input: ClientMetadataInput, field: string, fallback: boolean): boolean {
  const v = input[field];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') fail(field, 'must be true or false');
  return v as boolean;
}

function optionalTtl(input: ClientMetadataInput, field: string): number | null {
  const v = input[field];
  if (v === undefined || v === null) return null;
  if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 31_536_000) fail(field, 'must be seconds between 1 and 31536000');
  return v as number;
}

function httpsUri(field: string, value: string, allowLoopbackHttp: boolean): string {
  if (!URL.canParse(value)) fail(field, 'must be an absolute URI');
  const url = new URL(value);
  if (url.protocol === 'https:' || (allowLoopbackHttp && url.protocol === 'http:' && isLoopback(url))) return value;
  return fail(field, 'must use https');
}

/**
 * The scopes of a client registered without `scope`: for self-registered clients the registration policy, for
 * operators' clients openid profile email. `offline_access` only with the refresh_token grant (OIDC Core §11),
 * and nothing user-facing for a client without a user grant (authorization_code, device_code).
 */
function defaultScopes(ctx: MetadataContext, grantTypes: readonly GrantType[]): string[] {
  if (!grantTypes.includes('authorization_code') && !grantTypes.includes('urn:ietf:params:oauth:grant-type:device_code')) return [];
  const base = ctx.registrar === 'operator' ? ['openid', 'profile', 'email', 'offline_access'] : [...ctx.registrationScopes];
  return base.filter((s) => s !== 'offline_access' || grantTypes.includes('refresh_token'));
}

/** Validates RFC 7591 metadata and returns the client fields, or throws invalid_client_metadata / invalid_redirect_uri. */
export function validateClientMetadata(input: ClientMetadataInput, ctx: MetadataContext): ClientFields {
  for (const key of Object.keys(input)) {
    if (!KNOWN.has(key) && !READ_ONLY.has(key)) fail(key, 'is not a supported client metadata field');
  }
  const operator = ctx.registrar === 'operator';

  const authMethod = (optionalString(input, 'token_endpoint_auth_method') ?? 'client_secret_basic') as AuthMethod;
  if (!AUTH_METHODS.includes(authMethod)) fail('token_endpoint_auth_method', `must be one of ${AUTH_METHODS.join(', ')}`);
  const clientType = authMethod === 'none' ? 'public' : 'confidential';

  const givenGrants = stringList(input, 'grant_types', ['authorization_code']) as GrantType[];
  for (const g of givenGrants) {
    if (!GRANT_TYPES.includes(g)) fail('grant_types', `unsupported grant type ${g}`);
  }
  if (givenGrants.length === 0) fail('grant_types', 'must not be empty');
  const givenResponses = stringList(input, 'response_types', givenGrants.includes('authorization_code') ? ['code'] : []);
  for (const r of givenResponses) if (r !== 'code') fail('response_types', `unsupported response type ${r}`);
  // RFC 7591 §2.1: inconsistent grant_types / response_types are replaced by consistent ones (registration-rules.ts).
  const { grantTypes, responseTypes } = reconcileTypes(givenGrants, givenResponses, stringList(input, 'redirect_uris', []));
  if (grantTypes.length === 0) fail('grant_types', 'refresh_token requires authorization_code or device_code');
  const usesCode = grantTypes.includes('authorization_code');
  if (clientType === 'public' && grantTypes.includes('client_credentials')) {
    fail('grant_types', 'client_credentials requires a confidential client (token_endpoint_auth_method other than none)');
  }
  // RFC 8693 §5: the exchanging party must be authenticated.
  if (clientType === 'public' && grantTypes.includes('urn:ietf:params:oauth:grant-type:token-exchange')) {
    fail('grant_types', 'token exchange requires a confidential client');
  }

  const redirectUris = stringList(input, 'redirect_uris', []);
  if (usesCode && redirectUris.length === 0) throw new InvalidRedirectUri('redirect_uris: required for the authorization_code grant');
  for (const uri of redirectUris) {
    const problem = redirectUriProblem(uri);
    if (problem) throw new InvalidRedirectUri(`redirect_uris: ${uri} ${problem}`);
  }
  const postLogout = stringList(input, 'post_logout_redirect_uris', []);
  for (const uri of postLogout) {
    const problem = redirectUriProblem(uri);
    if (problem) throw new InvalidRedirectUri(`post_logout_redirect_uris: ${uri} ${problem}`);
  }

  const origins = stringList(input, 'allowed_origins', []);
  for (const o of origins) {
    if (!URL.canParse(o) || new URL(o).origin !== o) fail('allowed_origins', `${o} is not an origin (scheme://host[:port])`);
  }

  const scopeText = optionalString(input, 'scope');
  const scopes = scopeText ? [...new Set(scopeText.split(' '))] : defaultScopes(ctx, grantTypes);
  for (const s of scopes) {
    if (!isScopeToken(s)) fail('scope', 'is malformed');
    if (!operator && ctx.operatorScopes.includes(s)) fail('scope', `${s} can only be granted by an operator`);
    if (!operator && !ctx.registrationScopes.includes(s)) fail('scope', `${s} is not allowed for self-registered clients`);
  }

  const resources = stringList(input, 'resources', []);
  for (const r of resources) if (!ctx.resources.includes(r)) fail('resources', `${r} is not a resource configured on this server`);

  const jwksUri = optionalString(input, 'jwks_uri');
  if (jwksUri) httpsUri('jwks_uri', jwksUri, operator);
  const jwks = input['jwks'];
  if (jwks !== undefined && jwks !== null) {
    if (typeof jwks !== 'object' || !Array.isArray((jwks as { keys?: unknown }).keys)) fail('jwks', 'must be a JWK Set');
    for (const k of (jwks as { keys: unknown[] }).keys) {
      // RFC 7517 §4.1: every member of `keys` is a JWK object with a string `kty`.
      if (k === null || typeof k !== 'object' || Array.isArray(k) || typeof (k as { kty?: unknown }).kty !== 'string') {
        fail('jwks', 'every key must be a JWK object with a string kty');
      }
      if (['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'].some((m) => m in (k as object))) fail('jwks', 'must contain public keys only');
    }
  }
  if (jwksUri && jwks) fail('jwks', 'jwks and jwks_uri are mutually exclusive');
  if (authMethod === 'private_key_jwt' && !jwksUri && !jwks) fail('jwks', 'private_key_jwt requires jwks or jwks_uri');

  const signingAlg = optionalString(input, 'token_endpoint_auth_signing_alg');
  if (signingAlg) {
    if (!ASSERTION_ALGS.includes(signingAlg)) fail('token_endpoint_auth_signing_alg', 'unsupported algorithm');
    if (authMethod === 'private_key_jwt' && signingAlg.startsWith('HS')) fail('token_endpoint_auth_signing_alg', 'private_key_jwt needs an asymmetric algorithm');
    if (authMethod === 'client_secret_jwt' && !signingAlg.startsWith('HS')) fail('token_endpoint_auth_signing_alg', 'client_secret_jwt needs an HMAC algorithm');
  }
  // Issue 14: every signed response may use any alg the server holds keys for (none is never one of them).
  const signedAlg = (field: string): string | null => {
    const alg = optionalString(input, field);
    if (alg && !ctx.idTokenAlgs.includes(alg)) fail(field, `must be one of ${ctx.idTokenAlgs.join(', ')}`);
    return alg;
  };
  const idAlg = signedAlg('id_token_signed_response_alg');
  const userinfoAlg = signedAlg('userinfo_signed_response_alg');
  const introspectionAlg = signedAlg('introspection_signed_response_alg');
  const authorizationAlg = signedAlg('authorization_signed_response_alg');

  // Issue 13: any client may choose opaque access tokens (its resource servers must then introspect them).
  const accessTokenFormat = (optionalString(input, 'access_token_format') ?? 'jwt') as AccessTokenFormat;
  if (!ACCESS_TOKEN_FORMATS.includes(accessTokenFormat)) fail('access_token_format', `must be one of ${ACCESS_TOKEN_FORMATS.join(', ')}`);

  const fapiProfile = optionalString(input, 'fapi_profile');
  if (fapiProfile !== null && fapiProfile !== FAPI2_PROFILE) fail('fapi_profile', `must be ${FAPI2_PROFILE}`);

  // OAuth 2.1: PKCE is always required of public clients; confidential legacy clients may opt out.
  const pkceRequired = optionalBool(input, 'pkce_required', true);
  if (!pkceRequired && clientType === 'public') fail('pkce_required', 'public clients must use PKCE');
  const skipConsent = optionalBool(input, 'skip_consent', false);
  // RFC 9449 §5.2: the client promises to send DPoP proofs; its token requests without one are refused.
  const dpopBound = optionalBool(input, 'dpop_bound_access_tokens', false);
  if (skipConsent && !operator) fail('skip_consent', 'only an operator can mark a client first-party');

  const oidc = oidcRegistrationFields(input, authMethod, redirectUris);
  const mtls = validateMtlsMetadata(input, authMethod, ctx.mtlsEnabled === true);
  // OpenID Connect Core §8; the sector itself is resolved by the service (src/subjects/sector.ts), which fetches.
  const subjectType = optionalString(input, 'subject_type') ?? 'public';
  if (subjectType !== 'public' && subjectType !== 'pairwise') fail('subject_type', 'must be public or pairwise');
  const sectorUri = optionalString(input, 'sector_identifier_uri');
  // http only to loopback, and then only when src/outbound allows it (outbound.allowInsecureLoopback).
  if (sectorUri) httpsUri('sector_identifier_uri', sectorUri, true);

  const name = optionalString(input, 'client_name') ?? 'Unnamed client';
  if (name.length > 200) fail('client_name', 'must be at most 200 characters');
  const metadata: Record<string, unknown> = {};
  for (const key of DESCRIPTIVE) {
    if (input[key] === undefined) continue;
    if (key === 'contacts') metadata[key] = stringList(input, key, []);
    // OIDC Dynamic Client Registration §2: initiate_login_uri MUST use https.
    else if (key.endsWith('_uri')) metadata[key] = httpsUri(key, optionalString(input, key) as string, key !== 'initiate_login_uri');
    else metadata[key] = optionalString(input, key);
  }
  Object.assign(metadata, validateLogoutMetadata(input, ctx.allowInsecureLoopback === true));

  const fields: ClientFields = {
    name,
    clientType,
    tokenEndpointAuthMethod: authMethod,
    tokenEndpointAuthSigningAlg: signingAlg,
    redirectUris,
    postLogoutRedirectUris: postLogout,
    allowedOrigins: origins,
    grantTypes,
    responseTypes,
    scopes,
    resources,
    pkceRequired: clientType === 'public' ? true : pkceRequired,
    skipConsent,
    jwks: (jwks as Client['jwks']) ?? null,
    jwksUri,
    idTokenSignedResponseAlg: idAlg,
    userinfoSignedResponseAlg: userinfoAlg,
    introspectionSignedResponseAlg: introspectionAlg,
    authorizationSignedResponseAlg: authorizationAlg,
    accessTokenFormat,
    fapiProfile,
    requirePushedAuthorizationRequests: optionalBool(input, 'require_pushed_authorization_requests', false),
    accessTokenTtl: optionalTtl(input, 'access_token_ttl'),
    refreshTokenTtl: optionalTtl(input, 'refresh_token_ttl'),
    idTokenTtl: optionalTtl(input, 'id_token_ttl'),
    ...oidc,
    metadata,
    subjectType: subjectType as 'public' | 'pairwise',
    sectorIdentifierUri: sectorUri,
    ...(dpopBound ? { dpopBoundAccessTokens: true } : {}),
    ...mtls,
  };
  // Issue 11: a client under the FAPI 2.0 profile (by its metadata, or every client) must meet its rules.
  const fapiProblem = ctx.fapi?.clientProblem(fields);
  if (fapiProblem) throw fapiProblem;
  // FAPI 2.0 SP §5.4.1: a profile client's ID tokens are signed with PS256 unless it chose an allowed alg.
  if (ctx.fapi?.appliesTo(fields) && !fields.idTokenSignedResponseAlg && ctx.idTokenAlgs.includes('PS256')) fields.idTokenSignedResponseAlg = 'PS256';
  return fields;
}

/** RFC 7591 §3.2.1 view of a client (never a secret or a hash). */
export function clientMetadataView(c: Client): Record<string, unknown> {
  const out: Record<string, unknown> = {
    client_id: c.clientId,
    client_id_issued_at: c.createdAt,
    client_name: c.name,
    client_type: c.clientType,
    redirect_uris: c.redirectUris,
    post_logout_redirect_uris: c.postLogoutRedirectUris,
    allowed_origins: c.allowedOrigins,
    token_endpoint_auth_method: c.tokenEndpointAuthMethod,
    grant_types: c.grantTypes,
    response_types: c.responseTypes,
    // RFC 7591 §2: `scope` is a space-separated list; a client without scopes has no such member (an empty
    // string could not be sent back in an RFC 7592 update).
    ...(c.scopes.length ? { scope: c.scopes.join(' ') } : {}),
    resources: c.resources,
    pkce_required: c.pkceRequired,
    skip_consent: c.skipConsent,
    is_default: c.isDefault,
    ...c.metadata,
    ...mtlsMetadataView(c),
  };
  if (c.tokenEndpointAuthSigningAlg) out['token_endpoint_auth_signing_alg'] = c.tokenEndpointAuthSigningAlg;
  if (c.jwks) out['jwks'] = c.jwks;
  if (c.jwksUri) out['jwks_uri'] = c.jwksUri;
  if (c.idTokenSignedResponseAlg) out['id_token_signed_response_alg'] = c.idTokenSignedResponseAlg;
  if (c.userinfoSignedResponseAlg) out['userinfo_signed_response_alg'] = c.userinfoSignedResponseAlg;
  if (c.introspectionSignedResponseAlg) out['introspection_signed_response_alg'] = c.introspectionSignedResponseAlg;
  if (c.authorizationSignedResponseAlg) out['authorization_signed_response_alg'] = c.authorizationSignedResponseAlg;
  out['access_token_format'] = c.accessTokenFormat;
  if (c.fapiProfile) out['fapi_profile'] = c.fapiProfile;
  if (c.requirePushedAuthorizationRequests) out['require_pushed_authorization_requests'] = true;
  out['application_type'] = c.applicationType;
  if (c.requestObjectSigningAlg) out['request_object_signing_alg'] = c.requestObjectSigningAlg;
  if (c.defaultMaxAge !== null) out['default_max_age'] = c.defaultMaxAge;
  if (c.requireAuthTime) out['require_auth_time'] = true;
  if (c.dpopBoundAccessTokens) out['dpop_bound_access_tokens'] = true;
  out['subject_type'] = c.subjectType ?? 'public';
  if (c.sectorIdentifierUri) out['sector_identifier_uri'] = c.sectorIdentifierUri;
  for (const [k, v] of [
    ['access_token_ttl', c.accessTokenTtl],
    ['refresh_token_ttl', c.refreshTokenTtl],
    ['id_token_ttl', c.idTokenTtl],
  ] as const) {
    if (v !== null) out[k] = v;
  }
  return out;
}
