import { mayRequestResource } from '../../clients/client.js';
import { InvalidTarget } from '../../oauth/errors.js';
import { grantScopes, parseScope } from '../../oauth/scope.js';
import { issueAccessToken } from '../access-token.js';
import { confirmation } from '../issue.js';
import type { GrantHandler } from './index.js';

/** RFC 6749 §4.4: the client acts on its own behalf; no refresh token (§4.4.3). */
export const clientCredentialsGrant: GrantHandler = {
  grantType: 'client_credentials',
  async handle(ctx, client, params, _request, proof) {
    const dpopJkt = proof?.dpopJkt;
    const binding = proof?.certificate;
    const scopes = grantScopes(parseScope(params['scope']), client.scopes.filter((s) => s !== 'openid' && s !== 'offline_access'));
    const resource = params['resource'];
    if (resource !== undefined && !mayRequestResource(client, resource)) {
      throw new InvalidTarget('the requested resource is not allowed for this client');
    }
    const ttl = client.accessTokenTtl ?? ctx.config.accessTokenExpiry;
    const scope = scopes.join(' ');
    const aud = resource ?? ctx.config.defaultAudience;
    const { token } = await issueAccessToken(
      ctx.accessTokenMinter(client, aud, ctx.tokens),
      {
        iss: ctx.issuer,
        sub: client.clientId,
        aud,
        iat: ctx.clock.now(),
        client_id: client.clientId,
        scope,
        ...confirmation(dpopJkt, binding?.bindTo),
      },
      ttl,
    );
    return { access_token: token, token_type: dpopJkt ? 'DPoP' : 'Bearer', expires_in: ttl, ...(scope ? { scope } : {}) };
  },
};
