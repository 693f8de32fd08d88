import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Container } from '../../app.js';
import { InteractionInvalid } from '../../authorize/authorize.service.js';
import { singleValued } from '../../oauth/params.js';
import { cookieOptions, interactionCookie, isCrossSitePost, SESSION_COOKIE, sendAuthorizationResponse } from '../plugins/browser.js';
import { currentSession, renderInteraction } from './authorize.route.js';

type WithId = { Params: { id: string } };

const LOGIN_FAILED = 'The email or password is incorrect.';

/** The login and consent form posts of an interaction. */
export function interactionRoutes(app: FastifyInstance, c: Container): void {
  const resume = async (request: FastifyRequest<WithId>) => {
    if (isCrossSitePost(request)) throw new InteractionInvalid('This form was submitted from another site.');
    const form = singleValued(request.body);
    const state = await c.authorize.resume(request.params.id, form['csrf'], request.cookies[interactionCookie(request.params.id)]);
    return { ...state, form };
  };
  const finish = (reply: FastifyReply, id: string) => reply.clearCookie(interactionCookie(id), { path: `/oauth/interaction/${id}` });

  app.post<WithId>('/oauth/interaction/:id/login', async (request, reply) => {
    const { interaction, client, request: authz, csrf, form } = await resume(request);
    if (interaction.userId !== null) throw new InteractionInvalid('This sign-in request already has a signed-in user.');
    const email = (form['username'] ?? '').trim();
    const now = c.clock.now();
    const view = { step: 'login' as const, interactionId: interaction.id, csrf, client, request: authz, user: undefined };
    const wait = c.loginLimiter.retryAfter(email, request.ip, now);
    if (wait > 0) {
      reply.header('retry-after', String(wait));
      return renderInteraction(c, reply, view, 429, `Too many failed attempts. Try again in ${Math.ceil(wait / 60)} minute(s).`, email);
    }
    const user = await c.accounts.verifyPassword(email, form['password'] ?? '');
    if (!user) {
      c.loginLimiter.recordFailure(email, request.ip, now);
      return renderInteraction(c, reply, view, 401, LOGIN_FAILED, email);
    }
    c.loginLimiter.recordSuccess(email);
    const previous = await currentSession(c, request);
    if (previous) await c.sessions.end(previous);
    const { session, cookie } = await c.sessions.create(user.id, ['pwd']);
    reply.setCookie(SESSION_COOKIE, cookie, { ...cookieOptions(c.config.server.issuer, '/', c.sessions.lifetime), signed: true });
    const outcome = await c.authorize.afterLogin(interaction.id, csrf, client, authz, user, session);
    if (outcome.kind === 'interact') return renderInteraction(c, reply, outcome.view);
    return sendAuthorizationResponse(finish(reply, interaction.id), outcome.response);
  });

  app.post<WithId>('/oauth/interaction/:id/consent', async (request, reply) => {
    const { interaction, request: authz, form } = await resume(request);
    const session = await currentSession(c, request);
    if (!session || session.userId !== interaction.userId) throw new InteractionInvalid('You are no longer signed in. Return to the application and try again.');
    const user = await c.accounts.find(session.userId);
    if (!user || user.disabledAt !== null) throw new InteractionInvalid('This account is disabled.');
    const decision = form['decision'];
    if (decision !== 'allow' && decision !== 'deny') throw new InteractionInvalid('Choose Allow or Deny.');
    const response = await c.authorize.decide(interaction.id, authz, user, session, decision === 'allow');
    return sendAuthorizationResponse(finish(reply, interaction.id), response);
  });

}
