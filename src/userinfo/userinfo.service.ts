/** OpenID Connect Core §5.3: the claims an access token may read about its user. */
import type { AccountService } from '../accounts/account.service.js';
import type { ClaimsRequest } from '../claims/claims-request.js';
import { releaseClaims } from '../claims/release.js';
import type { Client } from '../clients/client.js';
import { InsufficientScope, InvalidToken } from '../oauth/errors.js';
import { dpopJktOf, type TokenService } from '../token/token.service.js';
import { presentsBoundCertificate } from '../mtls/binding.js';
import type { PresentedCertificate } from '../mtls/mtls-auth.js';

export interface UserinfoDeps {
  tokens: TokenService;
  accounts: AccountService;
  clients: { find(clientId: string): Promise<Client | undefined> };
  /** Signs claims with the active key of `alg` (the keystore). */
  sign(alg: string, claims: object): string;
  issuer: string;
}

export class UserinfoService {
  private readonly deps: UserinfoDeps;

  constructor(deps: UserinfoDeps) {
    this.deps = deps;
  }

  /**
   * Claims for the granted scopes, and the client the token was issued to (whose origins may read them); the
   * token must be valid, carry `openid`, and belong to an active user. `proofJkt`: the key of the request's
   * verified DPoP proof (undefined for a bearer token).
   */
  async claims(accessToken: string, proofJkt?: string, certificate?: PresentedCertificate): Promise<{ claims: Record<string, unknown>; clientId: string }> {
    const claims = await this.deps.tokens.verifyAccessToken(accessToken);
    if (!claims) throw new InvalidToken('token invalid, expired or revoked');
    // RFC 9449 §7.1: a DPoP-bound token only with a proof of its key (never as a bearer token), and a proof only
    // with the token it is bound to.
    if (dpopJktOf(claims) !== proofJkt) throw new InvalidToken('the token is not bound to the presented DPoP key');
    // RFC 8705 §3: a certificate-bound token is accepted only over a connection with that certificate.
    if (!presentsBoundCertificate(claims['cnf'], certificate)) throw new InvalidToken('the token is bound to another client certificate');
    const scopes = typeof claims['scope'] === 'string' ? claims['scope'].split(' ') : [];
    if (!scopes.includes('openid')) throw new InsufficientScope('openid');
    // The token's sub is the client's view of the user (pairwise or public); the grant names the local user.
    const grant = await this.deps.tokens.grantOf(claims);
    const userId = grant ? grant.userId : claims.sub;
    const user = userId ? await this.deps.accounts.find(userId) : undefined;
    if (!user || user.disabledAt !== null || !claims.sub) throw new InvalidToken('the token has no active user');
    // OIDC Core §5.4, §5.5: the claims of the granted scopes, plus those the claims parameter asked for here.
    const requested = grant?.claims ? (JSON.parse(grant.claims) as ClaimsRequest).userinfo : undefined;
    const released = releaseClaims(user, { scopes, scopeClaims: true, requested });
    return { claims: { sub: claims.sub, ...released }, clientId: String(claims['client_id']) };
  }

  /**
   * The userinfo response: plain claims, or, for a client registered with `userinfo_signed_response_alg`, a JWT
   * signed with that alg carrying `iss` and `aud` (the client) besides the claims (OIDC Core §5.3.2).
   */
  async respond(accessToken: string, proofJkt?: string, certificate?: PresentedCertificate): Promise<{ clientId: string; claims: Record<string, unknown>; jwt?: string }> {
    const { claims, clientId } = await this.claims(accessToken, proofJkt, certificate);
    const alg = (await this.deps.clients.find(clientId))?.userinfoSignedResponseAlg;
    if (!alg) return { clientId, claims };
    return { clientId, claims, jwt: this.deps.sign(alg, { ...claims, iss: this.deps.issuer, aud: clientId }) };
  }
}
