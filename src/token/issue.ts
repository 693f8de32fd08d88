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
import type { CertificateBinding, GrantContext, GrantStores, TokenResponse } from './grants/index.js';

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
  /** RFC 8705: the certificate of the token request. */
  binding?: CertificateBinding | undefined;
}

/** OpenID Connect Core §3.1.3.6: left half of the hash of the access token, the hash matching the JWS alg. */
function atHash(token: string, alg: string): string {
  const digest = alg.endsWith('384') ? 'sha384' : alg.endsWith('512') || alg === 'EdDSA' ? 'sha512' : 'sha256';
  const h = createHash(digest).update(token).digest();
  return h.subarray(0, h.length / 2).toString('base64url');
}

export async function issueUserTokens(ctx: GrantContext, stores: GrantStores, i: UserGrantIssue): Promise<TokenResponse> {
  const now = ctx.clock.now();
  const ttl = i.client.accessTokenTtl ?? ctx.config.accessTokenExpiry;
  const scope = i.scopes.join(' ');
  // OpenID Connect Core §8: the client sees its own subject (pairwise or public) in every token it gets.
  const sub = ctx.subject(i.client, i.user.id);
  const aud = i.resource ?? ctx.config.defaultAudience;
  // An opaque token's row is written in the grant's transaction: it commits with the code or rotation it spends.
  const { token } = await issueAccessToken(
    ctx.accessTokenMinter(i.client, aud, stores.tokens),
    {
      iss: ctx.issuer,
      sub,
      aud,
      iat: now,
      client_id: i.client.clientId,
      scope,
      auth_time: i.authTime,
      ...(i.binding?.bindTo ? { cnf: { 'x5t#S256': i.binding.bindTo } } : {}),
    },
    ttl,
    i.grantId,
  );
  const response: TokenResponse = { access_token: token, token_type: 'Bearer', expires_in: ttl, scope };

  if (i.client.grantTypes.includes('refresh_token') && i.grantExpiresAt > now) {
    const refresh = randomToken(32);
    await stores.tokens.insertRefreshToken({
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
