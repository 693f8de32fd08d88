import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Container } from '../../app.js';
import { InvalidRequest, InvalidToken } from '../../oauth/errors.js';
import { bearerToken } from '../bearer.js';
import { certificateSource } from '../client-certificate.js';
import type { CorsGate } from '../plugins/cors.js';
import { userinfoGetSchema, userinfoPostSchema } from '../schemas/oauth.js';

/** OpenID Connect Core §5.3 userinfo, with RFC 6750 bearer tokens (header, or form body on POST). */
export function userinfoRoutes(app: FastifyInstance, c: Container, cors: CorsGate): void {
  const certificateOf = certificateSource(c.config.server);
  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    const header = bearerToken(request);
    const body = request.method === 'POST' && request.body && typeof request.body === 'object' ? (request.body as Record<string, unknown>)['access_token'] : undefined;
    if (header && body !== undefined) throw new InvalidRequest('send the access token once');
    const token = header ?? (typeof body === 'string' ? body : undefined);
    if (!token) {
      const err = new InvalidToken('no access token');
      err.headers['www-authenticate'] = 'Bearer';
      throw err;
    }
    const { claims, clientId, jwt } = await c.userinfo.respond(token, certificateOf(request));
    await cors.forClient(request, reply, clientId);
    // OIDC Core §5.3.2: a signed response is application/jwt.
    return jwt ? reply.type('application/jwt').send(jwt) : claims;
  };
  app.get('/oauth/userinfo', { schema: userinfoGetSchema }, handle);
  app.post('/oauth/userinfo', { schema: userinfoPostSchema }, handle);
}
