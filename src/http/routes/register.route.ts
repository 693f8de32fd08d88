import type { FastifyInstance, FastifyRequest, FastifySchema } from 'fastify';
import type { Container } from '../../app.js';
import { clientMetadataView } from '../../clients/client-metadata.js';
import type { Client } from '../../clients/client.js';
import { InvalidClientMetadata, InvalidToken, OAuthError } from '../../oauth/errors.js';
import { bearerToken } from '../bearer.js';
import { auditContext } from '../audit-context.js';
import { registerSchema, registrationDeleteSchema, registrationReadSchema, registrationUpdateSchema } from '../schemas/oauth.js';

/**
 * RFC 7591 §2: the body is a JSON object. The schema runs before the handler; its failure is attached rather
 * than thrown, so an unauthenticated caller still gets 401 first and a bad shape is invalid_client_metadata.
 */
const metadataBody = (documentation: FastifySchema) => ({ schema: { ...documentation, body: { type: 'object' } }, attachValidation: true });

function metadataOf(request: FastifyRequest): Record<string, unknown> {
  const body = request.body;
  if (request.validationError || !request.headers['content-type']?.toLowerCase().startsWith('application/json') || !body || typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidClientMetadata('the request body must be a JSON object of client metadata');
  }
  return body as Record<string, unknown>;
}

/** Dynamic client registration (RFC 7591) and the client configuration endpoint (RFC 7592). */
export function registrationRoutes(app: FastifyInstance, c: Container): void {
  const reg = c.config.registration;
  if (!reg.enabled) return;
  const clientUri = (id: string) => `${c.config.server.issuer}/oauth/register/${encodeURIComponent(id)}`;
  const view = (client: Client) => ({ ...clientMetadataView(client), registration_client_uri: clientUri(client.clientId) });

  app.post('/oauth/register', metadataBody(registerSchema), async (request, reply) => {
    if (!(await c.registrationAccess.mayRegister(bearerToken(request), request.ip))) {
      throw new InvalidToken('initial access token missing, unknown, expired or used up');
    }
    const created = await c.clients.create(metadataOf(request), { registrar: 'dynamic' }, auditContext(request));
    return reply.code(201).send({
      ...view(created.client),
      ...(created.clientSecret ? { client_secret: created.clientSecret, client_secret_expires_at: 0 } : {}),
      registration_access_token: created.registrationAccessToken,
    });
  });

  // RFC 7592 §2: the registration access token alone decides; a mismatch is 401 so nothing leaks about other clients.
  const owned = async (request: FastifyRequest<{ Params: { clientId: string } }>): Promise<Client> => {
    const client = await c.registrationAccess.owner(bearerToken(request), request.params.clientId, request.ip);
    if (!client) throw new InvalidToken('registration access token is invalid');
    return client;
  };

  app.get<{ Params: { clientId: string } }>('/oauth/register/:clientId', { schema: registrationReadSchema }, async (request, reply) => reply.send(view(await owned(request))));

  app.put<{ Params: { clientId: string } }>('/oauth/register/:clientId', metadataBody(registrationUpdateSchema), async (request, reply) => {
    const client = await owned(request);
    // RFC 7592 §2.2: the client may echo its secret; it is not metadata to change.
    const { client_secret: _echoed, ...body } = metadataOf(request);
    return reply.send(view(await c.clients.update(client.clientId, body, 'dynamic', auditContext(request, { type: 'client', id: client.clientId }))));
  });

  app.delete<{ Params: { clientId: string } }>('/oauth/register/:clientId', { schema: registrationDeleteSchema }, async (request, reply) => {
    const client = await owned(request);
    try {
      await c.clients.delete(client.clientId, auditContext(request, { type: 'client', id: client.clientId }));
    } catch (err) {
      if (err instanceof OAuthError) throw new InvalidToken(err.description);
      throw err;
    }
    return reply.code(204).send();
  });
}
