import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Container } from '../../app.js';
import type { SignIn, Step } from '../../authorize/authorize.service.js';
import { InteractionInvalid } from '../../authorize/interaction.js';
import { TemporarilyUnavailable } from '../../oauth/errors.js';
import { singleValued } from '../../oauth/params.js';
import { auditContext } from '../audit-context.js';
import { cookieOptions, interactionCookie, isCrossSitePost, SESSION_COOKIE, sendAuthorizationResponse } from '../plugins/browser.js';
import { composeSessionCookie, type HeldSession } from '../../sessions/session-cookie.js';
import { heldSessions, renderInteraction } from './authorize.route.js';
import { interactionSchemas } from '../schemas/browser.js';

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
  const setSessions = (reply: FastifyReply, value: string) =>
    reply.setCookie(SESSION_COOKIE, value, { ...cookieOptions(c.config.server.issuer, '/', c.sessions.lifetime), signed: true });
  /**
   * A login made in the interaction was stored with its completion: now the browser gets the session cookie,
   * the new session first, the browser's sessions of other accounts kept after it (the one it replaced dropped).
   */
  const startSession = (reply: FastifyReply, signIn: SignIn | undefined, held: HeldSession[]) => {
    if (!signIn?.created) return reply;
    const replaced = new Set(signIn.created.replaces ? [signIn.created.replaces.id] : []);
    return setSessions(reply, composeSessionCookie(signIn.created.cookie, held, replaced));
  };
  /** Signing in again as an account the browser holds a session for replaces that session; another account adds one. */
  const sameAccount = (held: HeldSession[], userId: string | null) => held.find((h) => h.session.userId === userId)?.session;

  app.post<WithId>('/oauth/interaction/:id/login', { schema: interactionSchemas.login }, async (request, reply) => {
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
    const held = await heldSessions(c, request);
    const outcome = await c.authorize.afterLogin(interaction, client, user, sameAccount(held, user.id), auditContext(request));
    if (outcome.kind === 'interact') return renderInteraction(c, reply, outcome.view);
    return sendAuthorizationResponse(startSession(finish(reply, interaction.id), outcome.signIn, held), outcome.response);
  });

  app.post<WithId>('/oauth/interaction/:id/consent', { schema: interactionSchemas.consent }, async (request, reply) => {
    const { interaction, form } = await resume(request, 'consent');
    const held = await heldSessions(c, request);
    const signIn = c.authorize.consentSignIn(interaction, interaction.login ? sameAccount(held, interaction.userId) : held[0]?.session);
    const decision = form['decision'];
    if (decision !== 'allow' && decision !== 'deny') throw new InteractionInvalid('Choose Allow or Deny.');
    const response = await c.authorize.decide(interaction, signIn, decision === 'allow', auditContext(request));
    return sendAuthorizationResponse(startSession(finish(reply, interaction.id), signIn, held), response);
  });

  /**
   * Sign-up (prompt=create, only with signup.enabled): counted by the login throttle like a login attempt,
   * then the authorization continues as after a login in this interaction (signup/signup.service.ts).
   */
  app.post<WithId>('/oauth/interaction/:id/signup', { schema: interactionSchemas.signup }, async (request, reply) => {
    if (!c.signup.enabled) throw new InteractionInvalid('Sign-up is not available.');
    const { interaction, client, sealed, form } = await resume(request, 'signup');
    const email = (form['email'] ?? '').trim();
    const name = form['name'] ?? '';
    const view = { step: 'signup' as const, interaction, sealed, client, user: undefined };
    const attempt = await c.loginThrottle.reserve({ account: email, ip: request.ip });
    if (!attempt.allowed) {
      reply.header('retry-after', String(attempt.retryAfter));
      return renderInteraction(c, reply, view, 429, `Too many attempts. Try again in ${Math.ceil(attempt.retryAfter / 60)} minute(s).`, email, name);
    }
    let result;
    try {
      result = await c.signup.signUp({ email, name, password: form['password'] ?? '' }, auditContext(request));
    } catch (err) {
      attempt.release();
      if (err instanceof TemporarilyUnavailable) return renderInteraction(c, reply.header('retry-after', '1'), view, 503, BUSY, email, name);
      throw err;
    }
    // A new account leaves its slot counted (bounds sign-ups per address); an existing one signed in refunds it.
    if (result.kind === 'refused') {
      if (result.taken) await c.accounts.recordSignInFailure(email, attempt.exhausted, auditContext(request));
      return renderInteraction(c, reply, view, 400, result.message, email, name);
    }
    if (result.kind === 'signed-in') attempt.succeeded();
    const held = await heldSessions(c, request);
    const outcome = await c.authorize.afterLogin(interaction, client, result.user, sameAccount(held, result.user.id), auditContext(request));
    if (outcome.kind === 'interact') return renderInteraction(c, reply, outcome.view);
    return sendAuthorizationResponse(startSession(finish(reply, interaction.id), outcome.signIn, held), outcome.response);
  });

  /** The account chooser (prompt=select_account): a session this browser holds, or "use another account". */
  app.post<WithId>('/oauth/interaction/:id/select', { schema: interactionSchemas.select }, async (request, reply) => {
    const { interaction, client, form } = await resume(request, 'select');
    if (form['session'] === 'another') return renderInteraction(c, reply, await c.authorize.chooseAnother(interaction, client));
    const held = await heldSessions(c, request);
    const chosen = held.find((h) => h.session.id === form['session']);
    if (!chosen) throw new InteractionInvalid('That account is no longer signed in. Return to the application and try again.');
    const outcome = await c.authorize.afterSelect(interaction, client, chosen.session);
    // The chosen account becomes the browser's current session (what consent and logout then act on).
    setSessions(reply, composeSessionCookie(chosen.entry, held));
    if (outcome.kind === 'interact') return renderInteraction(c, reply, outcome.view);
    return sendAuthorizationResponse(finish(reply, interaction.id), outcome.response);
  });

  /** Cancel on any interaction page: access_denied to the client, in its response mode, with state and iss. */
  app.post<WithId>('/oauth/interaction/:id/cancel', { schema: interactionSchemas.cancel }, async (request, reply) => {
    if (isCrossSitePost(request)) throw new InteractionInvalid('This form was submitted from another site.');
    const form = singleValued(request.body);
    const response = await c.authorize.cancel(request.params.id, request.cookies[interactionCookie(request.params.id)], form['csrf']);
    return sendAuthorizationResponse(finish(reply, request.params.id), response);
  });

}
