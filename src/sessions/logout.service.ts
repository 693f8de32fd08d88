/**
 * RP-Initiated Logout 1.0. Logout is itself something an attacker can trigger (a link or an auto-submitted
 * form signing the victim out, then sending them anywhere), so:
 * - only an ID token this server issued is accepted as id_token_hint: our signature and `iss`, a JOSE `typ` of
 *   `JWT` (our access tokens carry `at+jwt`, RFC 9068 §2.1), an `aud` and no access-token claims. Expired ones
 *   are accepted: relying parties keep sessions longer than ID tokens live (§2, "expired tokens … SHOULD be
 *   accepted" in spirit: the OP only needs to know who issued it);
 * - the person is asked to confirm (§2: "the OP SHOULD ask the End-User whether to log out") unless the hint
 *   belongs to the very session the browser holds (its `sid`); an attacker's own ID token never does;
 * - post_logout_redirect_uri must exactly match a URI registered for the client the hint (aud) or client_id
 *   names (§3); `state` is passed back. When nothing verifies there is no redirect at all, and the
 *   confirmation page names the host the browser will be sent to, so a registered URI cannot be abused as a
 *   silent open redirector.
 */
import { decodeJwt, type JWTPayload } from 'jose';
import type { ClientService } from '../clients/client.service.js';
import type { JwtVerifier } from '../keys/verifier.js';
import { InvalidRequest } from '../oauth/errors.js';

export interface LogoutDecision {
  /** False only when the verified hint names the browser's current session: sign out at once. */
  confirm: boolean;
  /** Where to send the browser afterwards (registered for the client), with state; else no redirect. */
  redirect: string | undefined;
  /** The host of `redirect`, for the confirmation page. */
  redirectHost: string | undefined;
  /** The client the request is about (from the hint or client_id), carried through the confirmation form. */
  clientId: string | undefined;
}

export interface LogoutDeps {
  clients: ClientService;
  verifier: JwtVerifier;
  issuer: string;
}

const NOT_OURS = 'id_token_hint is not an ID token issued by this server';

export class LogoutService {
  private readonly deps: LogoutDeps;

  constructor(deps: LogoutDeps) {
    this.deps = deps;
  }

  /** Verifies a hint as one of our ID tokens, expired or not; throws invalid_request otherwise. */
  async verifyHint(token: string): Promise<JWTPayload> {
    let payload: JWTPayload;
    try {
      const iat = decodeJwt(token).iat;
      if (typeof iat !== 'number') throw new Error('no iat');
      payload = await this.deps.verifier.verify(token, {
        issuer: this.deps.issuer,
        // Our ID tokens are typ JWT; access tokens (at+jwt) and any other kind of token of ours are refused.
        typ: 'JWT',
        requiredClaims: ['sub', 'aud', 'iat', 'exp'],
        // Checked as of issuance: expiry does not matter here, the signature and issuer do.
        currentDate: new Date(iat * 1000),
      });
    } catch {
      throw new InvalidRequest(NOT_OURS);
    }
    if ('client_id' in payload || 'scope' in payload) throw new InvalidRequest(NOT_OURS);
    return payload;
  }

  /** Decides what a logout request may do; `currentSid` is the sid of the browser's session, if any. */
  async check(params: Record<string, string>, currentSid: string | undefined): Promise<LogoutDecision> {
    const hint = params['id_token_hint'] ? await this.verifyHint(params['id_token_hint']) : undefined;
    const aud = hint ? (Array.isArray(hint.aud) ? hint.aud : [hint.aud as string]) : [];
    if (params['client_id'] && hint && !aud.includes(params['client_id'])) throw new InvalidRequest('client_id does not match id_token_hint');
    const clientId = params['client_id'] ?? (aud.length === 1 ? aud[0] : undefined);
    let redirect: string | undefined;
    let redirectHost: string | undefined;
    const target = params['post_logout_redirect_uri'];
    if (target !== undefined) {
      const client = clientId ? await this.deps.clients.find(clientId) : undefined;
      // §3: exact string match with a registered value, as for redirect_uri.
      if (!client || !client.postLogoutRedirectUris.includes(target) || !URL.canParse(target)) {
        throw new InvalidRequest('post_logout_redirect_uri is not registered for this client');
      }
      const url = new URL(target);
      if (params['state'] !== undefined) url.searchParams.append('state', params['state']);
      redirect = url.href;
      redirectHost = url.host;
    }
    const ownSession = hint !== undefined && typeof hint['sid'] === 'string' && currentSid !== undefined && hint['sid'] === currentSid;
    return { confirm: !ownSession, redirect, redirectHost, clientId };
  }
}
