/**
 * Delivers an authorization response (success or error) to a verified redirect URI: query, fragment
 * (OAuth 2.0 Multiple Response Types §2) or form_post (OAuth 2.0 Form Post Response Mode). Every response
 * carries `iss` (RFC 9207).
 */
import type { ResponseMode } from './authorize-request.js';

export interface AuthorizationResponse {
  redirectUri: string;
  responseMode: ResponseMode;
  params: Record<string, string>;
}

export function buildResponse(
  target: { redirectUri: string; responseMode: ResponseMode; state: string | undefined },
  params: Record<string, string>,
  issuer: string,
): AuthorizationResponse {
  const all: Record<string, string> = { ...params, iss: issuer };
  if (target.state !== undefined) all['state'] = target.state;
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
