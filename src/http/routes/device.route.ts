import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Container } from '../../app.js';
import { constantTimeEqual } from '../../oauth/hash.js';
import { singleValued } from '../../oauth/params.js';
import { randomToken } from '../../oauth/random.js';
import { userCodePage } from '../../views/device.view.js';
import { cookieOptions, isCrossSitePost, sendAuthorizationResponse, sendPage } from '../plugins/browser.js';
import type { CorsGate } from '../plugins/cors.js';
import { deviceAuthorizationSchema, devicePageGetSchema, devicePagePostSchema } from '../schemas/device.js';
import { heldSessions, renderInteraction } from './authorize.route.js';
import { clientAuthentication } from './token.route.js';

const CSRF_COOKIE = 'gh_device';
const UNKNOWN = 'That code is not valid or has expired. Check the code on your device and try again.';

/** RFC 8628 §3.1–3.2: authenticated as at the token endpoint; the codes as JSON. */
export function deviceAuthorizationRoutes(app: FastifyInstance, c: Container, cors: CorsGate): void {
  const device = c.device;
  if (!device) return;
  const authenticate = clientAuthentication(c, cors);
  app.post('/oauth/device_authorization', { schema: deviceAuthorizationSchema }, async (request, reply) => {
    const { client, params } = await authenticate(request, reply, '/oauth/device_authorization');
    return reply.send(await device.request(client, params));
  });
}

/** RFC 8628 §3.3: the verification page. The code is looked up here; login and consent are the interaction's. */
export function devicePageRoutes(app: FastifyInstance, c: Container): void {
  const device = c.device;
  if (!device) return;
  const page = (reply: FastifyReply, status: number, userCode: string | undefined, error?: string) => {
    const csrf = randomToken(32);
    reply.setCookie(CSRF_COOKIE, csrf, cookieOptions(c.config.server.issuer, '/device', c.config.auth.interactionExpiry));
    return sendPage(reply, status, userCodePage({ action: '/device', csrf, userCode, error }));
  };

  // §3.3.1 verification_uri_complete: the code is pre-filled, and the person still presses the button (§5.4).
  app.get('/device', { schema: devicePageGetSchema }, async (request, reply) => page(reply, 200, singleValued(request.query)['user_code']));

  app.post('/device', { schema: devicePagePostSchema }, async (request, reply) => {
    const form = singleValued(request.body);
    const cookie = request.cookies[CSRF_COOKIE];
    const userCode = form['user_code'] ?? '';
    if (isCrossSitePost(request) || !form['csrf'] || !cookie || !constantTimeEqual(form['csrf'], cookie)) {
      return page(reply, 400, userCode, 'This form could not be verified. Please try again.');
    }
    const entry = await device.enter(userCode, request.ip, (await heldSessions(c, request))[0]?.session);
    if (entry.kind === 'limited') {
      reply.header('retry-after', String(entry.retryAfter));
      return page(reply, 429, userCode, `Too many attempts. Try again in ${Math.ceil(entry.retryAfter / 60)} minute(s).`);
    }
    if (entry.kind === 'unknown') return page(reply, 400, userCode, UNKNOWN);
    reply.clearCookie(CSRF_COOKIE, { path: '/device' });
    const outcome = entry.outcome;
    return outcome.kind === 'interact' ? renderInteraction(c, reply, outcome.view) : sendAuthorizationResponse(reply, outcome.response);
  });
}
