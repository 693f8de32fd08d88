import type { JwtSigner } from '../keys/signer.js';
import { randomUUID } from 'node:crypto';

export interface AccessTokenClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  jti: string;
  client_id: string;
  scope?: string;
  auth_time?: number;
}

/**
 * The jti of a token issued from a user grant is `<grant id>.<uuid>`, so revoking the grant (code replay,
 * refresh reuse, consent revocation) reaches its access tokens without a row per token.
 */
export function grantOfJti(jti: string): string | undefined {
  const dot = jti.indexOf('.');
  return dot > 0 ? jti.slice(0, dot) : undefined;
}

/** RFC 9068: a JWT access token with `typ: at+jwt`. */
export function mintAccessToken(
  signer: JwtSigner,
  claims: Omit<AccessTokenClaims, 'jti' | 'exp'>,
  ttl: number,
  grantId?: string,
): { token: string; claims: AccessTokenClaims } {
  // Built in one literal, in the order RFC 9068 lists the claims (no spread, no delete on the hot path).
  const full: AccessTokenClaims = {
    iss: claims.iss,
    sub: claims.sub,
    aud: claims.aud,
    exp: claims.iat + ttl,
    iat: claims.iat,
    jti: grantId ? `${grantId}.${randomUUID()}` : randomUUID(),
    client_id: claims.client_id,
  };
  if (claims.scope) full.scope = claims.scope;
  if (claims.auth_time !== undefined) full.auth_time = claims.auth_time;
  return { token: signer.sign(full, 'at+jwt'), claims: full };
}
