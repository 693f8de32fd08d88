import type { JwtSigner } from '../keys/signer.js';
import { randomUUID } from 'node:crypto';
import type { Client } from '../clients/client.js';
import { sha256 } from '../oauth/hash.js';
import { randomToken } from '../oauth/random.js';
import type { TokenStore } from './token.store.js';

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
  /** RFC 7800 confirmation of a sender-constrained token. */
  cnf?: Record<string, unknown>;
  /** RFC 8693 §4.1: the acting party of a delegated (exchanged) token. */
  act?: Record<string, unknown>;
}

/**
 * The jti of a token issued from a user grant is `<grant id>.<uuid>`, so revoking the grant (code replay,
 * refresh reuse, consent revocation) reaches its access tokens without a row per token.
 */
export function grantOfJti(jti: string): string | undefined {
  const dot = jti.indexOf('.');
  return dot > 0 ? jti.slice(0, dot) : undefined;
}

/**
 * Issue 13: the access token is opaque when the client asked for opaque tokens or when its audience is an
 * `auth.opaqueResources` entry (a resource server that introspects and should not read claims itself).
 */
export function isOpaqueFor(client: Client, aud: string, opaqueResources: readonly string[]): boolean {
  return client.accessTokenFormat === 'opaque' || opaqueResources.includes(aud);
}

/** Where an access token is minted: a signer for a JWT, or the store an opaque token's hash goes to. */
export type AccessTokenMinter = { format: 'jwt'; signer: JwtSigner } | { format: 'opaque'; store: Pick<TokenStore, 'insertOpaqueAccessToken'> };

/**
 * An access token in the chosen format with the same claims either way: a signed JWT, or a random 256-bit
 * value of which only the sha256 is stored with its claims (one INSERT; introspection is one lookup).
 */
export async function issueAccessToken(
  minter: AccessTokenMinter,
  claims: Omit<AccessTokenClaims, 'jti' | 'exp'>,
  ttl: number,
  grantId?: string,
): Promise<{ token: string; claims: AccessTokenClaims }> {
  const full = accessTokenClaims(claims, ttl, grantId);
  // RFC 9068: a JWT access token with `typ: at+jwt`.
  if (minter.format === 'jwt') return { token: minter.signer.sign(full, 'at+jwt'), claims: full };
  const token = randomToken(32);
  await minter.store.insertOpaqueAccessToken({
    tokenHash: sha256(token),
    jti: full.jti,
    clientId: full.client_id,
    grantId: grantId ?? null,
    sub: full.sub,
    scope: full.scope ?? '',
    aud: full.aud,
    authTime: full.auth_time ?? null,
    cnf: full.cnf ?? null,
    issuedAt: full.iat,
    expiresAt: full.exp,
  });
  return { token, claims: full };
}

function accessTokenClaims(claims: Omit<AccessTokenClaims, 'jti' | 'exp'>, ttl: number, grantId?: string): AccessTokenClaims {
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
  if (claims.cnf) full.cnf = claims.cnf;
  if (claims.act) full.act = claims.act;
  return full;
}

