/** Shapes shared by many routes in the OpenAPI document: the protocol's error body, HTML pages, empty answers. */
import { Type, type TSchema } from '@sinclair/typebox';

/** RFC 6749 §5.2 (and RFC 6750 §3, RFC 7591 §3.2.2): every API error, admin API included. */
export const OAuthErrorBody = Type.Object(
  {
    error: Type.String({ description: 'error code, e.g. invalid_request, invalid_client, invalid_grant, invalid_token' }),
    error_description: Type.Optional(Type.String({ description: 'human-readable text, safe to show' })),
  },
  { description: 'OAuth error (RFC 6749 §5.2)', additionalProperties: true },
);

/** The API error answers; a route adds its successes. */
export function apiErrors(...statuses: number[]): Record<string, TSchema> {
  const text: Record<number, string> = {
    400: 'invalid request',
    401: 'missing or invalid credentials',
    403: 'insufficient scope or role',
    404: 'not found',
    409: 'conflict',
    413: 'body too large',
    429: 'too many failed attempts (Retry-After)',
    503: 'temporarily unavailable (Retry-After)',
  };
  return Object.fromEntries([...new Set([400, ...statuses, 500])].map((s) => [String(s), { ...OAuthErrorBody, description: text[s] ?? 'server error' }]));
}

export const HtmlPage = (description: string) => Type.String({ description, contentMediaType: 'text/html' });

/** A browser route's answers: pages (errors included), and 303 redirects back to the client or onwards. */
export const pageResponses = (ok: string): Record<string, TSchema> => ({
  200: HtmlPage(ok),
  303: Type.Null({ description: 'redirect (Location) to the verified redirect URI or the next step' }),
  400: HtmlPage('error page'),
  403: HtmlPage('error page (cross-site post, CSRF)'),
  429: HtmlPage('too many attempts'),
  500: HtmlPage('error page'),
});

export const NoContent = Type.Null({ description: 'no content' });

export const FORM = 'application/x-www-form-urlencoded';
export const JSON_TYPE = 'application/json';

/** Form parameters as a browser or client sends them; each at most once (a repeated one is invalid_request). */
export const formFields = (fields: Record<string, string>, required: string[] = []) =>
  Type.Object(
    Object.fromEntries(Object.entries(fields).map(([k, d]) => [k, required.includes(k) ? Type.String({ description: d }) : Type.Optional(Type.String({ description: d }))])),
    { additionalProperties: true },
  );
