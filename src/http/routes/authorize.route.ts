import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Container } from '../../app.js';
import { UnsafeRedirect } from '../../authorize/authorize-request.js';
import type { InteractionView } from '../../authorize/authorize.service.js';
import { singleValued } from '../../oauth/params.js';
import type { HeldSession } from '../../sessions/session-cookie.js';
import { accountChooserPage, signupPage } from '../../views/interaction.view.js';
import { consentPage, loginPage } from '../../views/pages.view.js';
import { cookieOptions, interactionCookie, SESSION_COOKIE, sendAuthorizationResponse, sendErrorPage, sendPage } from '../plugins/browser.js';
import { authorizeGetSchema, authorizePostSchema } from '../schemas/browser.js';

/** The host of an http(s) redirect URI, or the private-use scheme of a native app (RFC 8252 §7.1). */
function redirectTarget(uri: string): string {
  if (!URL.canParse(uri)) return uri;
  const u = new URL(uri);
  return u.protocol === 'http:' || u.protocol === 'https:' ? u.host : `${u.protocol}//`;
}

/** Renders the login or consent step of an interaction and hands this browser its sealed state in a cookie. */
export function renderInteraction(c: Container, reply: FastifyReply, view: InteractionView, status = 200, error?: string, email?: string, name?: string) {
  const { id, csrf, request } = view.interaction;
  const action = `/oauth/interaction/${id}/${view.step}`;
  const selfRegistered = view.client.registrationAccessTokenHash !== null;
  reply.setCookie(interactionCookie(id), view.sealed, cookieOptions(c.config.server.issuer, `/oauth/interaction/${id}`, c.config.auth.interactionExpiry));
  const cancelAction = `/oauth/interaction/${id}/cancel`;
  const page =
    view.step === 'signup'
      ? signupPage({ action, cancelAction, signInAction: `/oauth/interaction/${id}/select`, csrf, clientName: view.client.name, selfRegistered, email, name, error })
      : view.step === 'select'
      ? accountChooserPage({ action, cancelAction, csrf, clientName: view.client.name, selfRegistered, accounts: view.accounts ?? [] })
      : view.step === 'login'
      ? loginPage({ action, csrf, clientName: view.client.name, selfRegistered, email: email ?? request.loginHint, error, cancelAction })
      : consentPage({
          action,
          csrf,
          clientName: view.client.name,
          clientUri: view.client.metadata['client_uri'] as string | undefined,
          logoUri: view.client.metadata['logo_uri'] as string | undefined,
          policyUri: view.client.metadata['policy_uri'] as string | undefined,
          tosUri: view.client.metadata['tos_uri'] as string | undefined,
          // A device authorization (src/device/) sends the browser nowhere: the page says which device gets access.
          redirectTarget: request.completion ? undefined : redirectTarget(request.redirectUri),
          selfRegistered,
          userEmail: view.user?.email ?? '',
          scopes: view.scopes ?? [],
        });
  const logo = view.step === 'consent' ? (view.client.metadata['logo_uri'] as string | undefined) : undefined;
  return sendPage(reply, status, page, [request.redirectUri], logo?.startsWith('https:') ? [logo] : []);
}

/** Every live session the browser's signed session cookie lists, the current one first (sessions/session-cookie.ts). */
export async function heldSessions(c: Container, request: FastifyRequest): Promise<HeldSession[]> {
  const raw = request.cookies[SESSION_COOKIE];
  const unsigned = raw ? request.unsignCookie(raw) : undefined;
  return unsigned?.valid ? c.sessions.resolveAll(unsigned.value ?? undefined) : [];
}

export async function currentSession(c: Container, request: FastifyRequest) {
  return (await heldSessions(c, request))[0]?.session;
}

/** RFC 6749 §3.1: the authorization endpoint accepts GET and POST (form). */
export function authorizeRoutes(app: FastifyInstance, c: Container): void {
  const handle = async (request: FastifyRequest, reply: FastifyReply, params: Record<string, string>) => {
    try {
      const held = await heldSessions(c, request);
      const outcome = await c.authorize.authorize(params, held[0]?.session, held.map((h) => h.session));
      return outcome.kind === 'respond' ? sendAuthorizationResponse(reply, outcome.response) : renderInteraction(c, reply, outcome.view);
    } catch (err) {
      if (err instanceof UnsafeRedirect) return sendErrorPage(reply, 400, 'Invalid request', err.message);
      throw err;
    }
  };
  app.get('/oauth/authorize', { schema: authorizeGetSchema }, async (request, reply) => handle(request, reply, singleValued(request.query)));
  app.post('/oauth/authorize', { schema: authorizePostSchema }, async (request, reply) => handle(request, reply, singleValued(request.body)));
}
