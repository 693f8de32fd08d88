import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Container } from '../../app.js';
import type { SignIn, Step } from '../../authorize/authorize.service.js';
import { InteractionInvalid } from '../../authorize/interaction.js';
import { TemporarilyUnavailable } from '../../oauth/errors.js';
import { singleValued } from '../../oauth/params.js';
import { auditContext } from '../audit-context.js';
import { cookieOptions, interactionCookie, isCrossSitePost, SESSION_COOKIE, sendAuthorizationResponse } from '../plugins/browser.js';
import { currentSession, renderInteraction } from './authorize.route.js';

type WithId = { Params: { id: string } };

const LOGIN_FAILED = 'The email or password is incorrect.';
const BUSY = 'The server is busy. Try again in a moment.';

/** The login and consent form posts of an interaction. */
export function interactionRoutes(app: FastifyInstance, c: Container): void {
  const resume = async (request: FastifyRequest<WithId>, step: Step) => {
    if (isCrossSitePost(request)) throw new InteractionInvalid('This form was submitted from another site.');
    const form = singleValued(request.body);
    const sealed = request.cookies[interactionCookie(request.params.id)];
    const state = await c.authorize.resume(request.params.id, step, sealed, form['csrf']);
    return { ...state, sealed: sealed!, form };
  };
  const finish = (reply: FastifyReply, id: string) => reply.clearCookie(interactionCookie(id), { path: `/oauth/interaction/${id}` });
  /** A login made in the interaction was stored with its completion: now the browser gets the session cookie. */
  const startSession = (reply: FastifyReply, signIn: SignIn | undefined) =>
    signIn?.created ? reply.setCookie(SESSION_COOKIE, signIn.created.cookie, { ...cookieOptions(c.config.server.issuer, '/', c.sessions.lifetime), signed: true }) : reply;

  app.post<WithId>('/oauth/interaction/:id/login', async (request, reply) => {
    const { interaction, client, sealed, form } = await resume(request, 'login');
    const email = (form['username'] ?? '').trim();
    const view = { step: 'login' as const, interaction, sealed, client, user: undefined };
    const refuse = (status: number, wait: number, message: string) =>
      renderInteraction(c, reply.header('retry-after', String(wait)), view, status, message, email);
    // Check and count in one step, before the first await of the verification (issue 10, item 1).
    const attempt = await c.loginThrottle.reserve({ account: email, ip: request.ip });
    if (!attempt.allowed) {
      return refuse(429, attempt.retryAfter, `Too many failed attempts. Try again in ${Math.ceil(attempt.retryAfter / 60)} minute(s).`);
    }
    let user;
    try {
      user = await c.accounts.verifyPassword(email, form['password'] ?? '');
    } catch (err) {
      attempt.release();
      if (err instanceof TemporarilyUnavailable) return refuse(503, 1, BUSY);
      throw err;
    }
    if (!user) {
      await c.accounts.recordSignInFailure(email, attempt.exhausted, auditContext(request));
      return renderInteraction(c, reply, view, 401, LOGIN_FAILED, email);
    }
    attempt.succeeded();
    const outcome = await c.authorize.afterLogin(interaction, client, user, await currentSession(c, request), auditContext(request));
    if (outcome.kind === 'interact') return renderInteraction(c, reply, outcome.view);
    return sendAuthorizationResponse(startSession(finish(reply, interaction.id), outcome.signIn), outcome.response);
  });

  app.post<WithId>('/oauth/interaction/:id/consent', async (request, reply) => {
    const { interaction, form } = await resume(request, 'consent');
    const signIn = c.authorize.consentSignIn(interaction, await currentSession(c, request));
    const decision = form['decision'];
    if (decision !== 'allow' && decision !== 'deny') throw new InteractionInvalid('Choose Allow or Deny.');
    const response = await c.authorize.decide(interaction, signIn, decision === 'allow', auditContext(request));
    return sendAuthorizationResponse(startSession(finish(reply, interaction.id), signIn), response);
  });

}
