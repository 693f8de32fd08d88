import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Container } from '../../app.js';
import { InvalidRequest, InvalidToken } from '../../oauth/errors.js';
import { authorizationToken } from '../bearer.js';
import { certificateSource } from '../client-certificate.js';
import type { CorsGate } from '../plugins/cors.js';
import { userinfoGetSchema, userinfoPostSchema } from '../schemas/oauth.js';

/**
 * OpenID Connect Core §5.3 userinfo, with RFC 6750 bearer tokens (header, or form body on POST) and RFC 9449
 * DPoP-bound tokens (`Authorization: DPoP` with a proof; their errors carry a DPoP challenge).
 */
export function userinfoRoutes(app: FastifyInstance, c: Container, cors: CorsGate): void {
  const certificateOf = certificateSource(c.config.server);
  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    const header = authorizationToken(request);
    const body = request.method === 'POST' && request.body && typeof request.body === 'object' ? (request.body as Record<string, unknown>)['access_token'] : undefined;
    if (header && body !== undefined) throw new InvalidRequest('send the access token once');
    const token = header?.token ?? (typeof body === 'string' ? body : undefined);
    if (!token) {
      const err = new InvalidToken('no access token');
      err.headers['www-authenticate'] = c.dpop.enabled ? `Bearer, ${c.dpop.challengeHeader()}` : 'Bearer';
      throw err;
    }
    const dpop = header?.scheme === 'DPoP' && c.dpop.enabled;
    // RFC 9449 §8: a resource that checks proofs hands out the current nonce.
    if (dpop || request.headers.dpop !== undefined) reply.header('dpop-nonce', c.dpop.nonce());
    const proof = dpop ? await c.dpop.verifyAtResource({ header: request.headers.dpop, method: request.method, path: '/oauth/userinfo', accessToken: token }) : undefined;
    let answer: Awaited<ReturnType<Container['userinfo']['respond']>>;
    try {
      answer = await c.userinfo.respond(token, proof?.jkt, certificateOf(request));
    } catch (err) {
      if (dpop && err instanceof InvalidToken) err.headers['www-authenticate'] = c.dpop.challengeHeader(err.error);
      throw err;
    }
    await cors.forClient(request, reply, answer.clientId);
    // OIDC Core §5.3.2: a signed response is application/jwt.
    return answer.jwt ? reply.type('application/jwt').send(answer.jwt) : answer.claims;
  };
  app.get('/oauth/userinfo', { schema: userinfoGetSchema }, handle);
  app.post('/oauth/userinfo', { schema: userinfoPostSchema }, handle);
}
