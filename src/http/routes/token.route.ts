import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Container } from '../../app.js';
import { InvalidRequest } from '../../oauth/errors.js';
import { singleValued } from '../../oauth/params.js';
import { acceptsIntrospectionJwt, INTROSPECTION_JWT_MEDIA_TYPE } from '../../token/introspection-jwt.js';
import type { CorsGate } from '../plugins/cors.js';
import { auditContext } from '../audit-context.js';
import { certificateSource } from '../client-certificate.js';
import { introspectSchema, parSchema, revokeSchema, tokenSchema } from '../schemas/oauth.js';

const FORM = 'application/x-www-form-urlencoded';

/**
 * Client authentication as at the token endpoint (RFC 6749 §2.3), for every endpoint that authenticates clients
 * the same way (token, PAR, introspection, revocation, device authorization): the form, the client, its certificate.
 */
export function clientAuthentication(c: Container, cors: CorsGate) {
  const issuer = c.config.server.issuer;
  const certificateOf = certificateSource(c.config.server);
  return async (request: FastifyRequest, reply: FastifyReply, path: string) => {
    if (!request.headers['content-type']?.toLowerCase().startsWith(FORM)) {
      throw new InvalidRequest(`the request body must be ${FORM}`);
    }
    const params = singleValued(request.body);
    const certificate = certificateOf(request);
    const credentials = { authorization: request.headers.authorization, params, ip: request.ip, certificate };
    const client = await c.clientAuth.authenticate(credentials, `${issuer}${path}`);
    await cors.forClient(request, reply, client);
    return { client, params, certificate };
  };
}

/** The token, PAR, introspection and revocation endpoints: form in, client authenticated, one service call, JSON out. */
export function tokenRoutes(app: FastifyInstance, c: Container, cors: CorsGate): void {
  const authenticate = clientAuthentication(c, cors);

  app.post('/oauth/token', { schema: tokenSchema }, async (request, reply) => {
    const { client, params, certificate } = await authenticate(request, reply, '/oauth/token');
    // RFC 9449 §5, §8: the proof binds the tokens; every answer to a DPoP request carries the current nonce.
    if (request.headers.dpop !== undefined && c.dpop.enabled) reply.header('dpop-nonce', c.dpop.nonce());
    const proof = await c.dpop.verify({ header: request.headers.dpop, method: 'POST', path: '/oauth/token' });
    return reply.send(await c.tokens.exchange(client, params, auditContext(request, { type: 'client', id: client.clientId }), { dpopJkt: proof?.jkt, certificate }));
  });

  // RFC 9126: authenticated as at the token endpoint; 201 with the one-time request_uri.
  app.post('/oauth/par', { schema: parSchema }, async (request, reply) => {
    const { client, params } = await authenticate(request, reply, '/oauth/par');
    // RFC 9449 §10.1: a proof at the push binds the code to its key, as dpop_jkt would.
    if (request.headers.dpop !== undefined && c.dpop.enabled) reply.header('dpop-nonce', c.dpop.nonce());
    const proof = await c.dpop.verify({ header: request.headers.dpop, method: 'POST', path: '/oauth/par' });
    return reply.code(201).send(await c.par.push(client, params, proof?.jkt));
  });

  app.post('/oauth/introspect', { schema: introspectSchema }, async (request, reply) => {
    const { client, params } = await authenticate(request, reply, '/oauth/introspect');
    const token = params['token'];
    if (!token) throw new InvalidRequest('token is required');
    if (acceptsIntrospectionJwt(request.headers.accept)) {
      return reply.type(INTROSPECTION_JWT_MEDIA_TYPE).send(await c.tokens.introspectJwt(client, token));
    }
    return reply.send(await c.tokens.introspect(client, token));
  });

  app.post('/oauth/revoke', { schema: revokeSchema }, async (request, reply) => {
    const { client, params } = await authenticate(request, reply, '/oauth/revoke');
    const token = params['token'];
    if (!token) throw new InvalidRequest('token is required');
    await c.tokens.revoke(client, token);
    return reply.code(200).send();
  });
}
