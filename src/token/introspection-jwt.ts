/**
 * JWT Response for OAuth Token Introspection (RFC 9701): a caller that asks for
 * `Accept: application/token-introspection+jwt` gets the RFC 7662 response as the `token_introspection` member of
 * a JWT signed by the server (`typ: token-introspection+jwt`, `iss`, `aud` = the caller, `iat`), with the
 * caller's `introspection_signed_response_alg` (RS256 by default).
 */
import type { Client } from '../clients/client.js';

export const INTROSPECTION_JWT_MEDIA_TYPE = 'application/token-introspection+jwt';
/** RFC 9701 §5: the JOSE `typ` header (the media type without `application/`). */
export const INTROSPECTION_JWT_TYP = 'token-introspection+jwt';
export const DEFAULT_INTROSPECTION_ALG = 'RS256';

/** Whether an Accept header asks for the JWT response (RFC 9110 §12.5.1; `q=0` means "not acceptable"). */
export function acceptsIntrospectionJwt(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(',').some((range) => {
    const [type, ...params] = range.split(';').map((x) => x.trim().toLowerCase());
    if (type !== INTROSPECTION_JWT_MEDIA_TYPE) return false;
    const q = params.find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

export function introspectionJwtClaims(issuer: string, client: Client, now: number, response: object): Record<string, unknown> {
  return { iss: issuer, aud: client.clientId, iat: now, token_introspection: response };
}
