/**
 * RFC 6749 §6 with rotation (OAuth 2.1 §4.3.1): every use returns a new refresh token and invalidates the old;
 * presenting a used token again revokes the whole family. The new token keeps the grant's scope; the access
 * token may be narrowed by `scope`.
 *
 * Reuse interval (`auth.refreshTokenReuseInterval`, default 0 = strict): for that many seconds after a
 * rotation, the same client presenting the spent token again (two tabs, a retry after a lost response) gets a
 * fresh rotation from the same family, as Hydra's grace period does: the family is not revoked and the
 * successor issued first stays valid. After the interval the spent token is a reuse again and revokes the family.
 */
import type { ClaimsRequest } from '../../claims/claims-request.js';
import { record } from '../../audit/audit-event.js';
import { InvalidGrant, InvalidRequest, InvalidScope } from '../../oauth/errors.js';
import { constantTimeEqual, sha256 } from '../../oauth/hash.js';
import { parseScope } from '../../oauth/scope.js';
import { issueUserTokens } from '../issue.js';
import { randomToken } from '../../oauth/random.js';
import type { Client } from '../../clients/client.js';
import type { User } from '../../accounts/user.store.js';
import type { RefreshTokenRecord } from '../token.store.js';
import type { GrantContext, GrantHandler, ProofOfPossession, TokenResponse } from './index.js';

/** Thrown inside the transaction to roll it back, so a refused request does not spend the token. */
class Refused extends Error {
  readonly reason: InvalidGrant | InvalidScope;
  constructor(reason: InvalidGrant | InvalidScope) {
    super(reason.description);
    this.reason = reason;
  }
}

/** What every refresh path issues from the presented token of a family: its grant's scopes, resource, session and claims. */
function fromFamily(client: Client, user: User, rt: RefreshTokenRecord, claims: string | null, requested: string[], now: number) {
  const grantScopes = rt.scope.split(' ');
  return {
    client,
    user,
    grantId: rt.grantId,
    grantExpiresAt: rt.expiresAt,
    grantScopes,
    scopes: requested.length ? requested : grantScopes,
    resource: rt.resource,
    authTime: rt.authTime ?? now,
    sid: rt.sid,
    amr: rt.amr ? (JSON.parse(rt.amr) as string[]) : ['pwd'],
    nonce: null,
    claimsRequest: claims ? (JSON.parse(claims) as ClaimsRequest) : null,
    parentHash: rt.tokenHash,
  };
}

/**
 * PostgreSQL: the rotation as one atomic statement when nothing would refuse it (token.store.ts
 * `rotateRefreshToken`); undefined sends the request down the transactional path below, which also finds why a
 * request is refused (reuse, revocation, expiry, scope, consent). An opaque access token would be a second write,
 * so those clients always take the transaction.
 */
async function rotateInOneStatement(ctx: GrantContext, client: Client, presented: string, requested: string[], now: number): Promise<TokenResponse | undefined> {
  if (!ctx.tokens.rotateRefreshToken || client.accessTokenFormat === 'opaque' || ctx.config.opaqueResources.length > 0) return undefined;
  const successor = client.grantTypes.includes('refresh_token') ? randomToken(32) : undefined;
  if (!successor) return undefined;
  const spent = await ctx.tokens.rotateRefreshToken({
    presentedHash: sha256(presented),
    clientId: client.clientId,
    now,
    successorHash: sha256(successor),
    requestedScopes: requested,
    consentRequired: !client.skipConsent,
  });
  if (!spent) return undefined;
  return issueUserTokens(ctx, ctx.tokens, {
    ...fromFamily(client, spent.user, spent.token, spent.claims, requested, now),
    dpopJkt: null,
    refreshJkt: null,
    storedRefreshToken: successor,
  });
}

/**
 * FAPI 2.0 SP §5.3.2.1: profile clients' refresh tokens are not rotated (unless the operator chooses so). The
 * token is read, not spent, and stays valid until its family expires or is revoked; the response carries no new
 * refresh token. Every other rule is the rotation's: client, expiry, grant, user, consent, scope.
 */
async function refreshWithoutRotation(
  ctx: GrantContext,
  client: Client,
  presented: string,
  requested: string[],
  now: number,
  proof: ProofOfPossession | undefined,
): Promise<TokenResponse> {
  const dpopJkt = proof?.dpopJkt;
  const binding = proof?.certificate;
  const rt = await ctx.tokens.findRefreshToken(sha256(presented));
  if (!rt || rt.revokedAt !== null || rt.usedAt !== null) throw new InvalidGrant('unknown refresh token');
  if (rt.clientId !== client.clientId) throw new InvalidGrant('refresh token was issued to another client');
  if (rt.expiresAt <= now) throw new InvalidGrant('refresh token expired');
  if (rt.dpopJkt && rt.dpopJkt !== dpopJkt) throw new InvalidGrant('the refresh token is bound to another DPoP key');
  if (rt.certificateThumbprint && !(binding?.presented && constantTimeEqual(rt.certificateThumbprint, binding.presented))) {
    throw new InvalidGrant('the refresh token is bound to another client certificate');
  }
  const grantScopes = rt.scope.split(' ');
  if (requested.some((s) => !grantScopes.includes(s))) throw new InvalidScope('scope may only narrow the original grant');
  const grant = await ctx.tokens.grantContext(rt.grantId);
  if (!grant || grant.revokedAt !== null) throw new InvalidGrant('the grant was revoked');
  if (grant.user.disabledAt !== null) throw new InvalidGrant('the user is disabled');
  if (!client.skipConsent && !grantScopes.every((s) => grant.consentScopes?.includes(s))) throw new InvalidGrant('consent was revoked');
  return issueUserTokens(ctx, ctx.tokens, {
    ...fromFamily(client, grant.user, rt, grant.claims, requested, now),
    dpopJkt: dpopJkt ?? null,
    refreshJkt: rt.dpopJkt ?? null,
    binding,
    keepRefreshToken: true,
  });
}

export const refreshTokenGrant: GrantHandler = {
  grantType: 'refresh_token',
  async handle(ctx, client, params, request, proof) {
    const dpopJkt = proof?.dpopJkt;
    const binding = proof?.certificate;
    const presented = params['refresh_token'];
    if (!presented) throw new InvalidRequest('refresh_token is required');
    const requested = parseScope(params['scope']);
    const now = ctx.clock.now();
    if (!ctx.rotatesRefreshTokens(client)) return refreshWithoutRotation(ctx, client, presented, requested, now, proof);
    // A DPoP proof or a client certificate may bind the successor or must match a bound family: those take the transaction.
    const rotated = dpopJkt === undefined && binding === undefined ? await rotateInOneStatement(ctx, client, presented, requested, now) : undefined;
    if (rotated) return rotated;
    let result: TokenResponse | InvalidGrant;
    try {
      result = await ctx.transaction(async (stores): Promise<TokenResponse | InvalidGrant> => {
        const used = await stores.tokens.useRefreshToken(sha256(presented), client.clientId, now, ctx.config.refreshTokenReuseInterval);
        if (!used) return new InvalidGrant('unknown refresh token');
        // A token of another client is refused without touching it (a stolen token must not burn the real one).
        if ('otherClient' in used) return new InvalidGrant('refresh token was issued to another client');
        if ('reusedGrantId' in used) {
          await stores.tokens.revokeGrant(used.reusedGrantId, now);
          await record(stores.audit, now, { action: 'refresh_token.reuse_detected', outcome: 'failure', target: { type: 'grant', id: used.reusedGrantId } }, request);
          return new InvalidGrant('refresh token reused; the token family was revoked');
        }
        const rt = used.token;
        if (used.withinReuseInterval) {
          // Recorded with the rotation it leads to (rolled back with it when the request is refused below).
          await record(stores.audit, now, { action: 'refresh_token.reused_within_interval', target: { type: 'grant', id: rt.grantId } }, request);
        }
        // RFC 9449 §5: a bound family is refreshed only with a proof of its key (refused without spending the token).
        if (rt.dpopJkt && rt.dpopJkt !== dpopJkt) throw new Refused(new InvalidGrant('the refresh token is bound to another DPoP key'));
        const grantScopes = rt.scope.split(' ');
        if (requested.some((s) => !grantScopes.includes(s))) throw new Refused(new InvalidScope('scope may only narrow the original grant'));
        if (rt.expiresAt <= now) throw new Refused(new InvalidGrant('refresh token expired'));
        // RFC 8705 §4: a public client's refresh token bound to a certificate is usable only with that certificate.
        if (rt.certificateThumbprint && !(binding?.presented && constantTimeEqual(rt.certificateThumbprint, binding.presented))) {
          throw new Refused(new InvalidGrant('refresh token is bound to another client certificate'));
        }
        const grant = await stores.tokens.grantContext(rt.grantId);
        if (!grant || grant.revokedAt !== null) throw new Refused(new InvalidGrant('the grant was revoked'));
        if (grant.user.disabledAt !== null) throw new Refused(new InvalidGrant('the user is disabled'));
        if (!client.skipConsent && !grantScopes.every((s) => grant.consentScopes?.includes(s))) {
          throw new Refused(new InvalidGrant('consent was revoked'));
        }
        return issueUserTokens(ctx, stores.tokens, {
          ...fromFamily(client, grant.user, rt, grant.claims, requested, now),
          dpopJkt: dpopJkt ?? null,
          // The family keeps the binding it was issued with.
          refreshJkt: rt.dpopJkt ?? null,
          binding,
        });
      });
    } catch (err) {
      if (err instanceof Refused) throw err.reason;
      throw err;
    }
    if (result instanceof InvalidGrant) throw result;
    return result;
  },
};
