import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Container } from '../../app.js';
import { OAuthError } from '../../oauth/errors.js';
import { constantTimeEqual } from '../../oauth/hash.js';
import { singleValued } from '../../oauth/params.js';
import { randomToken } from '../../oauth/random.js';
import { loggedOutPage, logoutConfirmPage } from '../../views/pages.view.js';
import { frontchannelLogoutPage } from '../../views/logout.view.js';
import { cookieOptions, isCrossSitePost, pageHeaders, SESSION_COOKIE, sendErrorPage, sendPage } from '../plugins/browser.js';
import { composeSessionCookie } from '../../sessions/session-cookie.js';
import type { currentSession } from './authorize.route.js';
import { heldSessions } from './authorize.route.js';
import { logoutGetSchema, logoutPostSchema } from '../schemas/browser.js';

const LOGOUT_COOKIE = 'gh_logout';
const PASSED_ON = ['post_logout_redirect_uri', 'state', 'ui_locales'];

/** end_session_endpoint (RP-Initiated Logout 1.0): the rules are in sessions/logout.service.ts. */
export function logoutRoutes(app: FastifyInstance, c: Container): void {
  const issuer = c.config.server.issuer;

  const endSession = async (request: FastifyRequest, session: NonNullable<Awaited<ReturnType<typeof currentSession>>>) => {
    await c.sessions.end(session);
    try {
      return await c.logoutFanout.sessionEnded({ sid: session.sid });
    } catch (err) {
      // The person is signed out whatever happens to the notifications; the failure is the log's.
      request.log.error({ err }, 'logout fan-out failed');
      return [];
    }
  };

  const handle = async (request: FastifyRequest, reply: FastifyReply, params: Record<string, string>, confirmed: boolean) => {
    const held = await heldSessions(c, request);
    const session = held[0]?.session;
    let decision;
    try {
      decision = await c.logout.check(params, session?.sid);
    } catch (err) {
      if (err instanceof OAuthError) return sendErrorPage(reply, 400, 'Cannot sign out', err.description);
      throw err;
    }
    if (!decision.confirm || confirmed) {
      // Only the current session ends (one session = one sid); the browser keeps its sessions of other accounts.
      // Back-channel tokens are queued (never awaited); front-channel frames go on the page below.
      const frames = session ? (await endSession(request, session)).map((f) => f.src) : [];
      const others = composeSessionCookie(undefined, held.slice(1));
      if (others) reply.setCookie(SESSION_COOKIE, others, { ...cookieOptions(issuer, '/', c.sessions.lifetime), signed: true });
      else reply.clearCookie(SESSION_COOKIE, { path: '/' });
      reply.clearCookie(LOGOUT_COOKIE, { path: '/oauth/logout' });
      if (frames.length > 0) {
        return pageHeaders(reply, { frames }).code(200).send(frontchannelLogoutPage({ frames, next: decision.redirect }));
      }
      if (decision.redirect) return reply.header('cache-control', 'no-store').redirect(decision.redirect, 303);
      return sendPage(reply, 200, loggedOutPage());
    }
    const csrf = randomToken(32);
    reply.setCookie(LOGOUT_COOKIE, csrf, cookieOptions(issuer, '/oauth/logout', 600));
    // The hint is not carried on: the confirmed POST identifies the client by client_id and re-checks the URI.
    const fields = Object.fromEntries(PASSED_ON.filter((k) => params[k] !== undefined).map((k) => [k, params[k]!]));
    if (decision.clientId) fields['client_id'] = decision.clientId;
    const page = logoutConfirmPage({ action: '/oauth/logout', csrf, fields, destinationHost: decision.redirectHost, signedIn: session !== undefined });
    return sendPage(reply, 200, page, decision.redirect ? [decision.redirect] : []);
  };

  app.get('/oauth/logout', { schema: logoutGetSchema }, async (request, reply) => handle(request, reply, singleValued(request.query), false));
  app.post('/oauth/logout', { schema: logoutPostSchema }, async (request, reply) => {
    const form = singleValued(request.body);
    const cookie = request.cookies[LOGOUT_COOKIE];
    const confirmed = form['csrf'] !== undefined && cookie !== undefined && constantTimeEqual(form['csrf'], cookie) && !isCrossSitePost(request);
    const { csrf: _csrf, ...params } = form;
    return handle(request, reply, params, confirmed);
  });
}
