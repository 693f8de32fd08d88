import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Container } from '../../app.js';
import { clientMetadataView } from '../../clients/client-metadata.js';
import { InsufficientScope, InvalidRequest, InvalidToken } from '../../oauth/errors.js';
import { parseDuration } from '../../oauth/duration.js';
import { bearerToken } from '../bearer.js';
import { auditContext, tokenActor } from '../audit-context.js';

type WithId = { Params: { clientId: string } };

/** The admin API's gate: a bearer access token of this server carrying the `admin` scope. */
export function requireAdmin(c: Container) {
  return async (request: FastifyRequest) => {
    const token = bearerToken(request);
    const claims = token ? await c.tokens.verifyAccessToken(token) : undefined;
    if (!claims) throw new InvalidToken('a valid bearer access token is required');
    const scopes = typeof claims['scope'] === 'string' ? claims['scope'].split(' ') : [];
    if (!scopes.includes('admin')) throw new InsufficientScope('admin');
    request.auditActor = tokenActor(claims);
  };
}

/** Admin API for clients, behind a bearer access token carrying the `admin` scope. */
export function adminClientRoutes(app: FastifyInstance, c: Container): void {
  const body = (request: FastifyRequest): Record<string, unknown> => {
    const b = request.body;
    if (!b || typeof b !== 'object' || Array.isArray(b)) throw new InvalidRequest('the request body must be a JSON object');
    return b as Record<string, unknown>;
  };

  app.register(async (admin) => {
    admin.addHook('onRequest', requireAdmin(c));
    admin.get('/admin/api/v1/clients', async () => ({ clients: (await c.clients.list()).map(clientMetadataView) }));
    admin.post('/admin/api/v1/clients', async (request, reply) => {
      const created = await c.clients.create(body(request), { registrar: 'operator' }, auditContext(request));
      return reply.code(201).send({
        ...clientMetadataView(created.client),
        ...(created.clientSecret ? { client_secret: created.clientSecret } : {}),
      });
    });
    admin.get<WithId>('/admin/api/v1/clients/:clientId', async (request) => clientMetadataView(await c.clients.get(request.params.clientId)));
    admin.put<WithId>('/admin/api/v1/clients/:clientId', async (request) =>
      clientMetadataView(await c.clients.update(request.params.clientId, body(request), 'operator', auditContext(request))),
    );
    admin.delete<WithId>('/admin/api/v1/clients/:clientId', async (request, reply) => {
      await c.clients.delete(request.params.clientId, auditContext(request));
      return reply.code(204).send();
    });
    admin.post<WithId>('/admin/api/v1/clients/:clientId/rotate-secret', async (request) => {
      const b = (request.body ?? {}) as Record<string, unknown>;
      const grace = parseDuration((b['grace'] as string | number | undefined) ?? 0);
      if (grace === undefined) throw new InvalidRequest('grace must be a duration like 0, 3600 or 24h');
      const rotated = await c.clients.rotateSecret(request.params.clientId, grace, undefined, auditContext(request));
      return { client_id: request.params.clientId, client_secret: rotated.clientSecret, previous_secret_valid_until: rotated.previousValidUntil };
    });
  });
}
