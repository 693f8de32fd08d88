/**
 * JWT Secured Authorization Response Mode (OpenID JARM, FAPI JARM): the authorization response parameters
 * (code and state, or error, error_description and state) travel as the claims of one signed JWT, with `iss`,
 * `aud` (the client_id) and a short `exp`, in a single `response` parameter delivered by query, fragment or
 * form_post. Signed with the client's `authorization_signed_response_alg` (RS256 by default).
 */
import type { Clock } from '../oauth/clock.js';

export const JARM_MODES = ['jwt', 'query.jwt', 'fragment.jwt', 'form_post.jwt'] as const;
export type JarmMode = (typeof JARM_MODES)[number];

/** JARM §4.1: "A maximum JWT lifetime of 10 minutes is RECOMMENDED". */
export const JARM_LIFETIME_SECONDS = 600;
export const DEFAULT_JARM_ALG = 'RS256';

export const isJarmMode = (mode: string): mode is JarmMode => (JARM_MODES as readonly string[]).includes(mode);

/** The delivery of a JARM mode; `jwt` means the response type's default, `query` for `code` (JARM §2.3.4). */
export function jarmDelivery(mode: JarmMode): 'query' | 'fragment' | 'form_post' {
  return mode === 'jwt' ? 'query' : (mode.slice(0, -'.jwt'.length) as 'query' | 'fragment' | 'form_post');
}

export interface JarmEncoder {
  /** The `response` JWT for the client `clientId`, signed with `alg` (RS256 when absent). */
  encode(clientId: string, alg: string | null | undefined, params: Record<string, string>): string;
}

export function createJarmEncoder(deps: { sign(alg: string, claims: object): string; clock: Clock; issuer: string }): JarmEncoder {
  return {
    encode(clientId, alg, params) {
      const now = deps.clock.now();
      return deps.sign(alg ?? DEFAULT_JARM_ALG, { ...params, iss: deps.issuer, aud: clientId, iat: now, exp: now + JARM_LIFETIME_SECONDS });
    },
  };
}
