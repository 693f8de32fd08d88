/**
 * What the request logger may write. Credentials travel in query strings (RFC 6750 §2.3 access_token, OIDC
 * id_token_hint at logout, a code or token pasted into an authorize URL) and in headers; none of them is ever
 * written, at any level (docs/SECURITY.md, "Logs").
 */
import type { FastifyRequest } from 'fastify';

/** Query parameters whose values are credentials, or may be. Compared after URL decoding, case-insensitively. */
export const REDACTED_QUERY_PARAMS: ReadonlySet<string> = new Set([
  'access_token',
  'id_token',
  'id_token_hint',
  'code',
  'refresh_token',
  'token',
  'client_secret',
  'client_assertion',
  'assertion',
  'request',
  'request_uri',
  'password',
  'code_verifier',
  'device_code',
  'user_code',
  'subject_token',
  'actor_token',
  'dpop',
  'registration_access_token',
]);

/** pino redact paths: credential headers, should anything ever log a request's or response's headers. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers.dpop',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers.dpop',
  'headers["set-cookie"]',
];

export const REDACTED = '[redacted]';

/** The URL with every credential-bearing query value replaced; the path and the other parameters are kept. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  let changed = false;
  for (const key of new Set(params.keys())) {
    if (REDACTED_QUERY_PARAMS.has(key.toLowerCase())) {
      params.set(key, REDACTED);
      changed = true;
    }
  }
  return changed ? `${url.slice(0, q)}?${params.toString()}` : url;
}

/** Fastify's default request serializer with the URL redacted; headers are never serialized. */
export function serializeRequest(request: FastifyRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: redactUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}
