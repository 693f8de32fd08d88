/**
 * Issuance for user grants: access token (RFC 9068 JWT or opaque, issue 13), rotating refresh token (stored as sha256), and ID token
 * (OpenID Connect Core §2, §3.1.3.6) with at_hash. Runs inside the caller's transaction.
 */
import { createHash } from 'node:crypto';
import type { User } from '../accounts/user.store.js';
import type { ClaimsRequest } from '../claims/claims-request.js';
import { releaseClaims } from '../claims/release.js';
import type { Client } from '../clients/client.js';
import { sha256 } from '../oauth/hash.js';
import { randomToken } from '../oauth/random.js';
import { issueAccessToken } from './access-token.js';
import type { CertificateBinding, GrantContext, TokenResponse } from './grants/index.js';
import type { GrantTokenStore, TokenStore } from './token.store.js';

export interface UserGrantIssue {
  client: Client;
  user: User;
  grantId: string;
  grantExpiresAt: number;
  /** Scopes of the grant (kept by the refresh token). */
  grantScopes: string[];
  /** Scopes of this access token (may be narrower on refresh). */
  scopes: string[];
  resource: string | null;
  authTime: number;
  sid: string | null;
  amr: string[];
  nonce: string | null;
  /** The grant's `claims` request parameter: its id_token member is released in the ID token. */
  claimsRequest: ClaimsRequest | null;
  parentHash: string | null;
  /** The successor a one-statement rotation already stored (token.store.ts `rotateRefreshToken`). */
  storedRefreshToken?: string;
  /** A refresh without rotation: the client keeps the refresh token it presented (RFC 6749 §6). */
  keepRefreshToken?: true;
  /** RFC 9449: the proof key the access token is bound to (`cnf.jkt`, token_type DPoP). */
  dpopJkt: string | null;
  /** RFC 9449 §5: the key the refresh token family is bound to (public clients only), null when unbound. */
  refreshJkt: string | null;
  /** RFC 8705: the certificate of the token request. */
  binding?: CertificateBinding | undefined;
}

/**
 * Where issuance writes: the transaction's token store. After a one-statement rotation the successor is stored
 * already, so no refresh-token writer is needed.
 */
export type IssueStore = Pick<TokenStore, 'insertOpaqueAccessToken'> & Partial<Pick<GrantTokenStore, 'insertRefreshToken'>>;

/** OpenID Connect Core §3.1.3.6: left half of the hash of the access token, the hash matching the JWS alg. */
function atHash(token: string, alg: string): string {
  const digest = alg.endsWith('384') ? 'sha384' : alg.endsWith('512') || alg === 'EdDSA' ? 'sha512' : 'sha256';
  const h = createHash(digest).update(token).digest();
  return h.subarray(0, h.length / 2).toString('base64url');
}

export async function issueUserTokens(ctx: GrantContext, store: IssueStore, i: UserGrantIssue): Promise<TokenResponse> {
  const now = ctx.clock.now();
  const ttl = i.client.accessTokenTtl ?? ctx.config.accessTokenExpiry;
  const scope = i.scopes.join(' ');
  // OpenID Connect Core §8: the client sees its own subject (pairwise or public) in every token it gets.
  const sub = ctx.subject(i.client, i.user.id);
  const aud = i.resource ?? ctx.config.defaultAudience;
  // An opaque token's row is written in the grant's transaction: it commits with the code or rotation it spends.
  const { token } = await issueAccessToken(
    ctx.accessTokenMinter(i.client, aud, store),
    { iss: ctx.issuer, sub, aud, iat: now, client_id: i.client.clientId, scope, auth_time: i.authTime, ...confirmation(i.dpopJkt, i.binding?.bindTo) },
    ttl,
    i.grantId,
  );
  const response: TokenResponse = { access_token: token, token_type: i.dpopJkt ? 'DPoP' : 'Bearer', expires_in: ttl, scope };

  if (i.storedRefreshToken) {
    response.refresh_token = i.storedRefreshToken;
  } else if (i.keepRefreshToken) {
    // Nothing new: the presented refresh token stays valid.
  } else if (i.client.grantTypes.includes('refresh_token') && i.grantExpiresAt > now) {
    if (!store.insertRefreshToken) throw new Error('refresh token issued without a store to write it');
    const refresh = randomToken(32);
    await store.insertRefreshToken({
      tokenHash: sha256(refresh),
      grantId: i.grantId,
      clientId: i.client.clientId,
      userId: i.user.id,
      scope: i.grantScopes.join(' '),
      resource: i.resource,
      authTime: i.authTime,
      sid: i.sid,
      amr: JSON.stringify(i.amr),
      parentHash: i.parentHash,
      createdAt: now,
      // The family has an absolute lifetime: rotation never extends it.
      expiresAt: i.grantExpiresAt,
      usedAt: null,
      revokedAt: null,
      dpopJkt: i.refreshJkt,
      // RFC 8705 §4: a public client's refresh token is bound to the certificate it was issued over.
      certificateThumbprint: i.client.clientType === 'public' ? (i.binding?.presented ?? null) : null,
    });
    response.refresh_token = refresh;
  }

  if (i.scopes.includes('openid')) {
    const alg = i.client.idTokenSignedResponseAlg ?? ctx.idTokenAlg;
    const idTtl = i.client.idTokenTtl ?? ctx.config.idTokenExpiry;
    // An access token is always issued here, so scope claims go to userinfo (OIDC Core §5.4); the ID token
    // carries what the claims parameter asks for in it (§5.5).
    const extra = releaseClaims(i.user, { scopes: i.scopes, scopeClaims: false, requested: i.claimsRequest?.id_token });
    const idClaims: Record<string, unknown> = {
      iss: ctx.issuer,
      sub,
      aud: i.client.clientId,
      exp: now + idTtl,
      iat: now,
      auth_time: i.authTime,
      ...(i.nonce ? { nonce: i.nonce } : {}),
      at_hash: atHash(token, alg),
      ...(i.sid ? { sid: i.sid } : {}),
      amr: i.amr,
      ...extra,
    };
    response.id_token = ctx.signer(alg).sign(idClaims, 'JWT');
  }
  return response;
}

/**
 * RFC 9449 §5: a public client's refresh tokens are bound to its DPoP key (it has no other credential); a
 * confidential client's are not, since it authenticates every refresh anyway.
 */
export function bindsRefreshToken(client: Client, dpopJkt: string | undefined): string | null {
  return dpopJkt && client.clientType === 'public' ? dpopJkt : null;
}

/**
 * The `cnf` of an access token (RFC 7800): the DPoP key (RFC 9449 §6, `jkt`) and the client certificate (RFC
 * 8705 §3.1, `x5t#S256`) it is bound to; both when the request used both. Spread into the claims.
 */
export function confirmation(dpopJkt: string | null | undefined, certificate: string | undefined): { cnf?: Record<string, string> } {
  const cnf: Record<string, string> = {};
  if (dpopJkt) cnf['jkt'] = dpopJkt;
  if (certificate) cnf['x5t#S256'] = certificate;
  return Object.keys(cnf).length ? { cnf } : {};
}
