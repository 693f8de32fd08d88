/**
 * The browser context: cookies, security headers on every page, HTML errors, and the helpers that deliver an
 * authorization response. Never registered for the API endpoints.
 */
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CookieSerializeOptions } from '@fastify/cookie';
import { redirectLocation, type AuthorizationResponse } from '../../authorize/response-mode.js';
import { errorPage, FORM_POST_SCRIPT, formPostPage } from '../../views/pages.view.js';
import { deviceDonePage } from '../../views/device.view.js';

export const SESSION_COOKIE = 'gh_session';
export const interactionCookie = (id: string) => `gh_i_${id}`;

const FORM_POST_HASH = `'sha256-${createHash('sha256').update(FORM_POST_SCRIPT).digest('base64')}'`;

/**
 * Paths a browser navigates to: errors there are HTML pages, never JSON and never a redirect to an unverified
 * URI. Decided on the raw URL, so it also holds for requests that failed before routing.
 */
export function isBrowserPath(url: string): boolean {
  const path = url.split('?', 1)[0] ?? '';
  return /^\/oauth\/(authorize|logout|interaction)(\/|$)/.test(path) || /^\/device(\/|$)/.test(path);
}

/** Secure everywhere except an http issuer on localhost (development). */
export function cookieOptions(issuer: string, path: string, maxAge: number): CookieSerializeOptions {
  return { path, maxAge, httpOnly: true, sameSite: 'lax', secure: issuer.startsWith('https:') };
}

/** Origins a page's forms may post to (or be redirected to after posting): ours and the client's. */
function formAction(targets: string[]): string {
  const sources = new Set(["'self'"]);
  for (const t of targets) {
    if (!URL.canParse(t)) continue;
    const u = new URL(t);
    sources.add(u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : u.protocol);
  }
  return [...sources].join(' ');
}

/** Image origins a page may load from: the client's https logo on the consent page, by exact origin only. */
function imageSources(images: string[]): string {
  const origins = images.filter((i) => URL.canParse(i) && new URL(i).protocol === 'https:').map((i) => ` ${new URL(i).origin}`);
  return [...new Set(origins)].join('');
}

/** Front-Channel Logout: exactly the origins of the frames the page embeds. */
function frameSrc(frames: string[]): string {
  return [...new Set(frames.filter((f) => URL.canParse(f)).map((f) => new URL(f).origin))].join(' ');
}

export function pageHeaders(reply: FastifyReply, options: { formTargets?: string[]; script?: boolean; images?: string[]; frames?: string[] } = {}): FastifyReply {
  const csp = [
    "default-src 'none'",
    "style-src 'self'",
    `img-src 'self' data:${imageSources(options.images ?? [])}`,
    `form-action ${formAction(options.formTargets ?? [])}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
    ...(options.script ? [`script-src ${FORM_POST_HASH}`] : []),
    ...(options.frames?.length ? [`frame-src ${frameSrc(options.frames)}`] : []),
  ].join('; ');
  return reply
    .header('content-security-policy', csp)
    .header('x-frame-options', 'DENY')
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-store')
    .header('pragma', 'no-cache')
    .type('text/html; charset=utf-8');
}

/**
 * The API documentation page (/docs) and its assets. Swagger UI is a script application: it runs its own bundled
 * scripts ('self', never 'unsafe-eval' or inline scripts), fetches the document and "try it out" requests from this
 * origin (connect-src), and inserts one <style> element, allowed by its hash rather than 'unsafe-inline' (the
 * Chromium test in test/e2e/openapi.test.ts fails if an upgrade changes it). Everything else is as strict as the
 * other pages, no-store and frame-ancestors 'none' included.
 */
export const DOCUMENTATION_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  // Swagger UI's <style> element (swagger-ui-dist as shipped by @fastify/swagger-ui 6.1).
  "style-src 'self' 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export function documentationHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', DOCUMENTATION_CSP)
    .header('x-frame-options', 'DENY')
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-store')
    .header('pragma', 'no-cache');
}

export function sendPage(reply: FastifyReply, status: number, body: string, formTargets: string[] = [], images: string[] = []): FastifyReply {
  return pageHeaders(reply, { formTargets, images }).code(status).send(body);
}

export function sendErrorPage(reply: FastifyReply, status: number, title: string, message: string): FastifyReply {
  return sendPage(reply, status, errorPage(title, message));
}

/** Delivers an authorization response to its (already verified) redirect URI. */
export function sendAuthorizationResponse(reply: FastifyReply, r: AuthorizationResponse): FastifyReply {
  // A request with a completion target (the device flow) has no redirect URI: its end is a page.
  if (r.completed) return sendPage(reply, 200, deviceDonePage(r.completed));
  if (r.responseMode === 'form_post') {
    return pageHeaders(reply, { formTargets: [r.redirectUri], script: true }).code(200).send(formPostPage(r.redirectUri, r.params));
  }
  return reply.header('cache-control', 'no-store').redirect(redirectLocation(r), 303);
}

/** Refuses cross-site form posts (defence in depth beside the CSRF token). */
export function isCrossSitePost(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site === 'cross-site') return true;
  const origin = request.headers.origin;
  if (!origin || origin === 'null') return false;
  return origin !== `${request.protocol}://${request.host}`;
}
