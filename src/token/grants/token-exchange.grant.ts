/**
 * RFC 8693 token exchange: a confidential client trades one of our access or ID tokens, or a JWT of an issuer the
 * operator trusts (the subject, optionally with an actor token for delegation) for a new access token that is never wider than the subject token
 * (src/exchange/exchange-policy.ts). No refresh token is issued (§2.2.1 makes it optional).
 */
import { record } from '../../audit/audit-event.js';
import { decideExchange } from '../../exchange/exchange-policy.js';
import { validateToken } from '../../exchange/subject-token.js';
import { ACCESS_TOKEN_TYPE, JWT_TOKEN_TYPE, OUTPUT_TOKEN_TYPES, TOKEN_EXCHANGE_GRANT } from '../../exchange/token-types.js';
import { InvalidRequest } from '../../oauth/errors.js';
import { parseScope } from '../../oauth/scope.js';
import { issueAccessToken } from '../access-token.js';
import type { GrantHandler, TokenResponse } from './index.js';

export const tokenExchangeGrant: GrantHandler = {
  grantType: TOKEN_EXCHANGE_GRANT,
  async handle(ctx, client, params, request) {
    const requestedType = params['requested_token_type'] ?? ACCESS_TOKEN_TYPE;
    // §2.1: refresh tokens are not issued by exchange here (they would outlive the subject's bounds).
    if (!OUTPUT_TOKEN_TYPES.includes(requestedType)) throw new InvalidRequest(`requested_token_type ${requestedType} is not supported`);
    if ((params['actor_token'] === undefined) !== (params['actor_token_type'] === undefined)) {
      throw new InvalidRequest('actor_token and actor_token_type go together');
    }
    const scope = parseScope(params['scope']);
    const presenter = { clientId: client.clientId, subjectFor: (userId: string) => ctx.subject(client, userId) };
    const subject = await validateToken(ctx.ownTokens, 'subject', params['subject_token'], params['subject_token_type'], presenter);
    const actor =
      params['actor_token'] !== undefined ? await validateToken(ctx.ownTokens, 'actor', params['actor_token'], params['actor_token_type'], presenter) : undefined;
    const now = ctx.clock.now();
    const decision = decideExchange({
      subject,
      actor,
      request: { scope, audience: params['audience'], resource: params['resource'] },
      clientId: client.clientId,
      allowedAudiences: client.resources,
      defaultAudience: ctx.config.defaultAudience,
      now,
      maxTtl: client.accessTokenTtl ?? ctx.config.accessTokenExpiry,
    });
    const scopeText = decision.scope.join(' ');
    // A delegated token (act) or an explicit jwt request is always a JWT: the opaque row has no act column.
    const asJwt = decision.act !== undefined || requestedType === JWT_TOKEN_TYPE;
    const claims = { iss: ctx.issuer, sub: subject.sub, aud: decision.aud, iat: now, client_id: client.clientId, ...(scopeText ? { scope: scopeText } : {}), ...(decision.act ? { act: decision.act } : {}) };
    const token = await ctx.transaction(async (stores) => {
      const minter = asJwt ? { format: 'jwt' as const, signer: ctx.signer(ctx.accessTokenAlg) } : ctx.accessTokenMinter(client, decision.aud, stores.tokens);
      const issued = await issueAccessToken(minter, claims, decision.ttl);
      await record(stores.audit, now, {
        action: 'token.exchanged',
        target: { type: 'access_token', id: issued.claims.jti },
        detail: { sub: subject.sub, aud: decision.aud, scope: scopeText, ...(actor ? { actor: actor.sub } : {}) },
      }, request);
      return issued.token;
    });
    const response: TokenResponse = { access_token: token, issued_token_type: requestedType, token_type: 'Bearer', expires_in: decision.ttl };
    if (scopeText) response.scope = scopeText;
    return response;
  },
};
