/**
 * RFC 6749 §4.1.3 with PKCE (RFC 7636 §4.6). The code is consumed atomically before anything else; a replay
 * revokes the grant and everything issued from it (RFC 6749 §4.1.2, OAuth 2.1 §4.1.3). The consumption commits
 * even when a later check fails, so a code can never be tried twice.
 */
import type { ClaimsRequest } from '../../claims/claims-request.js';
import { record } from '../../audit/audit-event.js';
import { InvalidGrant, InvalidRequest } from '../../oauth/errors.js';
import { sha256 } from '../../oauth/hash.js';
import { verifyPkce } from '../../oauth/pkce.js';
import { issueUserTokens } from '../issue.js';
import type { GrantHandler, TokenResponse } from './index.js';

export const authorizationCodeGrant: GrantHandler = {
  grantType: 'authorization_code',
  async handle(ctx, client, params, request, binding) {
    const code = params['code'];
    if (!code) throw new InvalidRequest('code is required');
    const now = ctx.clock.now();
    const result = await ctx.transaction(async (stores): Promise<TokenResponse | InvalidGrant> => {
      const consumed = await stores.codes.consume(sha256(code), now);
      if (!consumed) return new InvalidGrant('unknown authorization code');
      if ('replayedGrantId' in consumed) {
        await stores.tokens.revokeGrant(consumed.replayedGrantId, now);
        await record(stores.audit, now, { action: 'authorization_code.replay', outcome: 'failure', target: { type: 'grant', id: consumed.replayedGrantId } }, request);
        return new InvalidGrant('authorization code replayed; its grant was revoked');
      }
      const c = consumed.code;
      if (c.clientId !== client.clientId) return new InvalidGrant('code was issued to another client');
      if (c.expiresAt <= now) return new InvalidGrant('authorization code expired');
      // RFC 6749 §4.1.3: redirect_uri must be identical to the one of the authorization request.
      const redirectUri = params['redirect_uri'];
      if (redirectUri !== undefined ? redirectUri !== c.redirectUri : client.redirectUris.length !== 1) {
        return new InvalidGrant('redirect_uri does not match the authorization request');
      }
      const verifier = params['code_verifier'];
      if (c.codeChallenge) {
        if (!verifier || !verifyPkce(verifier, c.codeChallenge)) return new InvalidGrant('PKCE verification failed');
      } else if (verifier !== undefined) {
        return new InvalidGrant('code_verifier sent for a code issued without code_challenge');
      }
      const grant = await stores.tokens.grantContext(c.grantId);
      if (!grant || grant.revokedAt !== null) return new InvalidGrant('the grant was revoked');
      const user = grant.user;
      if (user.disabledAt !== null) return new InvalidGrant('the user is disabled');
      const scopes = c.scope.split(' ');
      return issueUserTokens(ctx, stores, {
        client,
        user,
        grantId: c.grantId,
        grantExpiresAt: grant.expiresAt,
        grantScopes: scopes,
        scopes,
        resource: c.resource,
        authTime: c.authTime,
        sid: c.sid,
        amr: c.amr ? (JSON.parse(c.amr) as string[]) : ['pwd'],
        nonce: c.nonce,
        claimsRequest: c.claims ? (JSON.parse(c.claims) as ClaimsRequest) : null,
        parentHash: null,
        binding,
      });
    });
    if (result instanceof InvalidGrant) throw result;
    return result;
  },
};
