import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Container } from '../../app.js';
import { OAuthError } from '../../oauth/errors.js';
import { constantTimeEqual } from '../../oauth/hash.js';
import { singleValued } from '../../oauth/params.js';
import { randomToken } from '../../oauth/random.js';
import { loggedOutPage, logoutConfirmPage } from '../../views/pages.view.js';
import { cookieOptions, isCrossSitePost, SESSION_COOKIE, sendErrorPage, sendPage } from '../plugins/browser.js';
import { currentSession } from './authorize.route.js';

const LOGOUT_COOKIE = 'gh_logout';
const PASSED_ON = ['post_logout_redirect_uri', 'state', 'ui_locales'];

/** end_session_endpoint (RP-Initiated Logout 1.0): the rules are in sessions/logout.service.ts. */
export function logoutRoutes(app: FastifyInstance, c: Container): void {
  const issuer = c.config.server.issuer;

  const handle = async (request: FastifyRequest, reply: FastifyReply, params: Record<string, string>, confirmed: boolean) => {
    const session = await currentSession(c, request);
    let decision;
    try {
      decision = await c.logout.check(params, session?.sid);
    } catch (err) {
      if (err instanceof OAuthError) return sendErrorPage(reply, 400, 'Cannot sign out', err.description);
      throw err;
    }
    if (!decision.confirm || confirmed) {
      if (session) await c.sessions.end(session);
      reply.clearCookie(SESSION_COOKIE, { path: '/' }).clearCookie(LOGOUT_COOKIE, { path: '/oauth/logout' });
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

  app.get('/oauth/logout', async (request, reply) => handle(request, reply, singleValued(request.query), false));
  app.post('/oauth/logout', async (request, reply) => {
    const form = singleValued(request.body);
    const cookie = request.cookies[LOGOUT_COOKIE];
    const confirmed = form['csrf'] !== undefined && cookie !== undefined && constantTimeEqual(form['csrf'], cookie) && !isCrossSitePost(request);
    const { csrf: _csrf, ...params } = form;
    return handle(request, reply, params, confirmed);
  });
}
