/**
 * RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0 §2–§3). The id_token_hint must be one of ours
 * (signature checked) but may be expired: relying parties keep sessions longer than ID tokens live.
 * post_logout_redirect_uri is used only when registered for the client the request names.
 */
import { decodeJwt, type JWTPayload } from 'jose';
import type { ClientService } from '../clients/client.service.js';
import type { JwtVerifier } from '../keys/verifier.js';
import { InvalidRequest } from '../oauth/errors.js';

export interface LogoutRequest {
  hint: JWTPayload | undefined;
  /** Where to send the browser afterwards (verified), with state. */
  redirect: string | undefined;
}

export class LogoutService {
  private readonly deps: { clients: ClientService; verifier: JwtVerifier; issuer: string };

  constructor(deps: { clients: ClientService; verifier: JwtVerifier; issuer: string }) {
    this.deps = deps;
  }

  async check(params: Record<string, string>): Promise<LogoutRequest> {
    let hint: JWTPayload | undefined;
    if (params['id_token_hint']) {
      try {
        const iat = decodeJwt(params['id_token_hint']).iat ?? 0;
        hint = await this.deps.verifier.verify(params['id_token_hint'], {
          issuer: this.deps.issuer,
          currentDate: new Date(iat * 1000),
        });
      } catch {
        throw new InvalidRequest('id_token_hint is not an ID token issued by this server');
      }
    }
    const aud = hint ? (Array.isArray(hint.aud) ? hint.aud : [hint.aud]) : [];
    const clientId = params['client_id'] ?? (aud.length === 1 ? aud[0] : undefined);
    if (params['client_id'] && hint && !aud.includes(params['client_id'])) throw new InvalidRequest('client_id does not match id_token_hint');
    let redirect: string | undefined;
    const target = params['post_logout_redirect_uri'];
    if (target) {
      const client = clientId ? await this.deps.clients.find(clientId) : undefined;
      if (!client || !client.postLogoutRedirectUris.includes(target)) {
        throw new InvalidRequest('post_logout_redirect_uri is not registered for this client');
      }
      const url = new URL(target);
      if (params['state']) url.searchParams.append('state', params['state']);
      redirect = url.href;
    }
    return { hint, redirect };
  }
}
