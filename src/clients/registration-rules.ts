/**
 * OpenID Connect Dynamic Client Registration 1.0 §2 metadata the server acts on, and the RFC 7591 §2.1
 * reconciliation of grant_types with response_types ("the authorization server MAY replace inconsistent
 * values"). Used by client-metadata.ts, the one place metadata is validated.
 */
import { InvalidClientMetadata, InvalidRedirectUri } from '../oauth/errors.js';
import { isLoopback } from '../oauth/redirect-uri.js';
import { APPLICATION_TYPES, ASSERTION_ALGS, HMAC_ASSERTION_ALGS, type ApplicationType, type AuthMethod, type GrantType } from './client.js';

/** Algorithms a request object may be signed with (the client-assertion algs); `none` only when registered. */
export const REQUEST_OBJECT_ALGS: readonly string[] = [...ASSERTION_ALGS, 'none'];

const MAX_AGE_LIMIT = 31_536_000;

const fail = (field: string, reason: string): never => {
  throw new InvalidClientMetadata(`${field}: ${reason}`);
};

export interface OidcRegistrationFields {
  applicationType: ApplicationType;
  requestObjectSigningAlg: string | null;
  defaultMaxAge: number | null;
  requireAuthTime: boolean;
}

/**
 * RFC 7591 §2.1: grant_types and response_types must agree. Instead of refusing, the implied value is added
 * or the unusable one dropped: `code` without the authorization_code grant gets the grant when the client has
 * redirect URIs to receive codes, else `code` is dropped (a client_credentials-only client, as Authlib
 * registers one); the authorization_code grant without `code` gets `code`; refresh_token without
 * authorization_code (or the device grant) is dropped. What cannot be made consistent is refused by the caller.
 */
export function reconcileTypes(
  grantTypes: readonly GrantType[],
  responseTypes: readonly string[],
  redirectUris: readonly string[],
): { grantTypes: GrantType[]; responseTypes: string[] } {
  const grants = [...grantTypes];
  let responses = [...responseTypes];
  if (responses.includes('code') && !grants.includes('authorization_code')) {
    if (redirectUris.length > 0) grants.unshift('authorization_code');
    else responses = responses.filter((r) => r !== 'code');
  }
  if (grants.includes('authorization_code') && !responses.includes('code')) responses.push('code');
  // Refresh tokens come from a user's grant: the authorization code's or the device authorization's (RFC 8628).
  const userGrant = grants.includes('authorization_code') || grants.includes('urn:ietf:params:oauth:grant-type:device_code');
  const usable = userGrant ? grants : grants.filter((g) => g !== 'refresh_token');
  return { grantTypes: usable, responseTypes: responses };
}

/**
 * OIDC Dynamic Client Registration §2 `application_type`: native clients register only private-use schemes or
 * http loopback URLs. The web rule (https, no localhost) is stated for the implicit grant, which this server
 * does not offer; web clients keep the general redirect URI rules (oauth/redirect-uri.ts).
 */
export function checkApplicationType(input: Record<string, unknown>, redirectUris: readonly string[]): ApplicationType {
  const v = input['application_type'];
  if (v === undefined || v === null) return 'web';
  if (typeof v !== 'string' || !(APPLICATION_TYPES as readonly string[]).includes(v)) fail('application_type', 'must be web or native');
  const type = v as ApplicationType;
  if (type === 'native') {
    for (const uri of redirectUris) {
      const url = new URL(uri);
      if (url.protocol === 'https:' || (url.protocol === 'http:' && !isLoopback(url))) {
        throw new InvalidRedirectUri(`redirect_uris: ${uri} native clients use a private-use scheme or http on loopback`);
      }
    }
  }
  return type;
}

export function oidcRegistrationFields(input: Record<string, unknown>, authMethod: AuthMethod, redirectUris: readonly string[]): OidcRegistrationFields {
  const applicationType = checkApplicationType(input, redirectUris);

  let requestObjectSigningAlg: string | null = null;
  const alg = input['request_object_signing_alg'];
  if (alg !== undefined && alg !== null) {
    if (typeof alg !== 'string' || !REQUEST_OBJECT_ALGS.includes(alg)) fail('request_object_signing_alg', `must be one of ${REQUEST_OBJECT_ALGS.join(', ')}`);
    // HMAC needs the secret in readable form, which is kept only for client_secret_jwt clients.
    if ((HMAC_ASSERTION_ALGS as readonly string[]).includes(alg as string) && authMethod !== 'client_secret_jwt') {
      fail('request_object_signing_alg', 'HMAC request objects need token_endpoint_auth_method client_secret_jwt');
    }
    requestObjectSigningAlg = alg as string;
  }

  let defaultMaxAge: number | null = null;
  const maxAge = input['default_max_age'];
  if (maxAge !== undefined && maxAge !== null) {
    if (!Number.isInteger(maxAge) || (maxAge as number) < 0 || (maxAge as number) > MAX_AGE_LIMIT) fail('default_max_age', `must be seconds between 0 and ${MAX_AGE_LIMIT}`);
    defaultMaxAge = maxAge as number;
  }

  const requireAuthTime = input['require_auth_time'];
  if (requireAuthTime !== undefined && typeof requireAuthTime !== 'boolean') fail('require_auth_time', 'must be true or false');

  return { applicationType, requestObjectSigningAlg, defaultMaxAge, requireAuthTime: requireAuthTime === true };
}
