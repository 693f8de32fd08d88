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
import type { GrantHandler, TokenResponse } from './index.js';

/** Thrown inside the transaction to roll it back, so a refused request does not spend the token. */
class Refused extends Error {
  readonly reason: InvalidGrant | InvalidScope;
  constructor(reason: InvalidGrant | InvalidScope) {
    super(reason.description);
    this.reason = reason;
  }
}

export const refreshTokenGrant: GrantHandler = {
  grantType: 'refresh_token',
  async handle(ctx, client, params, request, binding) {
    const presented = params['refresh_token'];
    if (!presented) throw new InvalidRequest('refresh_token is required');
    const requested = parseScope(params['scope']);
    const now = ctx.clock.now();
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
        return issueUserTokens(ctx, stores, {
          client,
          user: grant.user,
          grantId: rt.grantId,
          grantExpiresAt: rt.expiresAt,
          grantScopes,
          scopes: requested.length ? requested : grantScopes,
          resource: rt.resource,
          authTime: rt.authTime ?? now,
          sid: rt.sid,
          amr: rt.amr ? (JSON.parse(rt.amr) as string[]) : ['pwd'],
          nonce: null,
          claimsRequest: grant.claims ? (JSON.parse(grant.claims) as ClaimsRequest) : null,
          parentHash: rt.tokenHash,
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
