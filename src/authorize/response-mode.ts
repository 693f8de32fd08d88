/**
 * Delivers an authorization response (success or error) to a verified redirect URI: query, fragment
 * (OAuth 2.0 Multiple Response Types §2) or form_post (OAuth 2.0 Form Post Response Mode). Every response
 * carries `iss` (RFC 9207). The JARM modes (`jwt`, `query.jwt`, `fragment.jwt`, `form_post.jwt`) carry the same
 * parameters as the claims of one signed `response` JWT (src/jarm/jarm.ts), delivered the same three ways.
 */
import { isJarmMode, jarmDelivery, type JarmEncoder } from '../jarm/jarm.js';
import type { ResponseMode } from './authorize-request.js';

export interface AuthorizationResponse {
  redirectUri: string;
  responseMode: ResponseMode;
  params: Record<string, string>;
  /** Set for a request with a completion target (completion.ts): a page is shown instead of a redirect. */
  completed?: 'approved' | 'refused';
}

export interface ResponseTarget {
  redirectUri: string;
  responseMode: ResponseMode;
  state: string | undefined;
  /** The client (the JWT's `aud` in the JARM modes). */
  clientId?: string | undefined;
  /** The client's authorization_signed_response_alg (JARM; RS256 when absent). */
  responseAlg?: string | null | undefined;
}

/**
 * The one function every authorization response (code, error, cancel) goes through. `jarm` signs the JARM
 * modes; a JARM response cannot be built without it.
 */
export function buildResponse(target: ResponseTarget, params: Record<string, string>, issuer: string, jarm?: JarmEncoder): AuthorizationResponse {
  const all: Record<string, string> = { ...params, iss: issuer };
  if (target.state !== undefined) all['state'] = target.state;
  if (isJarmMode(target.responseMode)) {
    if (!jarm || !target.clientId) throw new Error('a JARM response needs the signer and the client');
    const response = jarm.encode(target.clientId, target.responseAlg, all);
    return { redirectUri: target.redirectUri, responseMode: jarmDelivery(target.responseMode), params: { response } };
  }
  return { redirectUri: target.redirectUri, responseMode: target.responseMode, params: all };
}

/** The Location for query and fragment modes. */
export function redirectLocation(r: AuthorizationResponse): string {
  const url = new URL(r.redirectUri);
  const encoded = new URLSearchParams(r.params).toString();
  if (r.responseMode === 'fragment') {
    url.hash = encoded;
    return url.href;
  }
  for (const [k, v] of Object.entries(r.params)) url.searchParams.append(k, v);
  return url.href;
}
