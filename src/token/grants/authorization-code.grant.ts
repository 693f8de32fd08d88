/**
 * RFC 6749 §4.1.3 with PKCE (RFC 7636 §4.6). The code is consumed atomically before anything else; a replay
 * revokes the grant and everything issued from it (RFC 6749 §4.1.2, OAuth 2.1 §4.1.3). The consumption commits
 * even when a later check fails, so a code can never be tried twice.
 *
 * On PostgreSQL the first step is one statement (spend the code, read its grant and user) and the refresh token
 * one more, with no transaction around them (docs/PERFORMANCE.md): the consumption commits on its own, as it
 * does here anyway. A replay racing the exchange may revoke the grant between the two; the refresh token then
 * written belongs to a revoked grant, which no refresh and no access-token check accepts.
 */
import type { ClaimsRequest } from '../../claims/claims-request.js';
import type { AuthorizationCode } from '../../authorize/code.store.js';
import type { Client } from '../../clients/client.js';
import { record } from '../../audit/audit-event.js';
import { InvalidGrant, InvalidRequest } from '../../oauth/errors.js';
import { sha256 } from '../../oauth/hash.js';
import { verifyPkce } from '../../oauth/pkce.js';
import { bindsRefreshToken, issueUserTokens, type IssueStore } from '../issue.js';
import type { GrantContextRow } from '../token.store.js';
import type { CertificateBinding, GrantContext, GrantHandler, TokenResponse } from './index.js';

/** The checks after consumption, in order; the refusal, or undefined when the code may be exchanged. */
function refusal(c: AuthorizationCode, client: Client, params: Record<string, string>, now: number, dpopJkt: string | undefined): InvalidGrant | undefined {
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
  // RFC 9449 §10: a code bound with dpop_jkt is redeemed only with a proof of that key.
  if (c.dpopJkt && c.dpopJkt !== dpopJkt) return new InvalidGrant('the DPoP proof key does not match dpop_jkt');
  return undefined;
}

function issue(
  ctx: GrantContext,
  store: IssueStore,
  client: Client,
  c: AuthorizationCode,
  grant: GrantContextRow | undefined,
  dpopJkt: string | undefined,
  binding: CertificateBinding | undefined,
): Promise<TokenResponse> | InvalidGrant {
  if (!grant || grant.revokedAt !== null) return new InvalidGrant('the grant was revoked');
  const user = grant.user;
  if (user.disabledAt !== null) return new InvalidGrant('the user is disabled');
  const scopes = c.scope.split(' ');
  return issueUserTokens(ctx, store, {
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
    dpopJkt: dpopJkt ?? null,
    refreshJkt: bindsRefreshToken(client, dpopJkt),
    binding,
  });
}

export const authorizationCodeGrant: GrantHandler = {
  grantType: 'authorization_code',
  async handle(ctx, client, params, request, proof) {
    const dpopJkt = proof?.dpopJkt;
    const binding = proof?.certificate;
    const code = params['code'];
    if (!code) throw new InvalidRequest('code is required');
    const now = ctx.clock.now();
    const spent = await ctx.tokens.consumeCodeWithGrant?.(sha256(code), now);
    if (spent) {
      const result = refusal(spent.code, client, params, now, dpopJkt) ?? (await issue(ctx, ctx.tokens, client, spent.code, spent.grant, dpopJkt, binding));
      if (result instanceof InvalidGrant) throw result;
      return result;
    }
    const result = await ctx.transaction(async (stores): Promise<TokenResponse | InvalidGrant> => {
      const consumed = await stores.codes.consume(sha256(code), now);
      if (!consumed) return new InvalidGrant('unknown authorization code');
      if ('replayedGrantId' in consumed) {
        await stores.tokens.revokeGrant(consumed.replayedGrantId, now);
        await record(stores.audit, now, { action: 'authorization_code.replay', outcome: 'failure', target: { type: 'grant', id: consumed.replayedGrantId } }, request);
        return new InvalidGrant('authorization code replayed; its grant was revoked');
      }
      const c = consumed.code;
      return refusal(c, client, params, now, dpopJkt) ?? issue(ctx, stores.tokens, client, c, await stores.tokens.grantContext(c.grantId), dpopJkt, binding);
    });
    if (result instanceof InvalidGrant) throw result;
    return result;
  },
};
