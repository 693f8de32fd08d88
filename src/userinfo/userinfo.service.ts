/** OpenID Connect Core §5.3: the claims an access token may read about its user. */
import { claimsFor, type AccountService } from '../accounts/account.service.js';
import { InsufficientScope, InvalidToken } from '../oauth/errors.js';
import type { TokenService } from '../token/token.service.js';

export class UserinfoService {
  private readonly deps: { tokens: TokenService; accounts: AccountService };

  constructor(deps: { tokens: TokenService; accounts: AccountService }) {
    this.deps = deps;
  }

  /**
   * Claims for the granted scopes, and the client the token was issued to (whose origins may read them); the
   * token must be valid, carry `openid`, and belong to an active user.
   */
  async claims(accessToken: string): Promise<{ claims: Record<string, unknown>; clientId: string }> {
    const claims = await this.deps.tokens.verifyAccessToken(accessToken);
    if (!claims) throw new InvalidToken('token invalid, expired or revoked');
    const scopes = typeof claims['scope'] === 'string' ? claims['scope'].split(' ') : [];
    if (!scopes.includes('openid')) throw new InsufficientScope('openid');
    const user = claims.sub ? await this.deps.accounts.find(claims.sub) : undefined;
    if (!user || user.disabledAt !== null) throw new InvalidToken('the token has no active user');
    return { claims: claimsFor(user, scopes), clientId: String(claims['client_id']) };
  }
}
