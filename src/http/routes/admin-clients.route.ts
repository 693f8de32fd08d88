import type { FastifyInstance } from 'fastify';
import type { Container } from '../../app.js';
import { clientMetadataView } from '../../clients/client-metadata.js';
import { InvalidRequest } from '../../oauth/errors.js';
import { parseDuration } from '../../oauth/duration.js';
import { requestAuthority, jsonObject, requireAdmin } from '../admin-auth.js';
import { auditContext } from '../audit-context.js';
import { adminClientSchemas as docs } from '../schemas/admin.js';

type WithId = { Params: { clientId: string } };
type ProjectQuery = { Querystring: { project_id?: string } };

/** Admin API for clients: every call is checked against the caller's role in the client's project. */
export function adminClientRoutes(app: FastifyInstance, c: Container): void {
  const view = (client: Parameters<typeof clientMetadataView>[0]) => ({ ...clientMetadataView(client), project_id: client.projectId });
  app.register(async (admin) => {
    admin.addHook('onRequest', requireAdmin(c));
    admin.get<ProjectQuery>('/admin/api/v1/clients', { schema: docs.list }, async (request) => {
      const projectId = typeof request.query.project_id === 'string' ? request.query.project_id : undefined;
      return { clients: (await c.projectClients.list(requestAuthority(request), projectId)).map(view) };
    });
    admin.post('/admin/api/v1/clients', { schema: docs.create }, async (request, reply) => {
      const created = await c.projectClients.create(requestAuthority(request), jsonObject(request), auditContext(request));
      return reply.code(201).send({ ...view(created.client), ...(created.clientSecret ? { client_secret: created.clientSecret } : {}) });
    });
    admin.get<WithId>('/admin/api/v1/clients/:clientId', { schema: docs.get }, async (request) => view(await c.projectClients.get(requestAuthority(request), request.params.clientId)));
    admin.put<WithId>('/admin/api/v1/clients/:clientId', { schema: docs.update }, async (request) =>
      view(await c.projectClients.update(requestAuthority(request), request.params.clientId, jsonObject(request), auditContext(request))),
    );
    admin.delete<WithId>('/admin/api/v1/clients/:clientId', { schema: docs.delete }, async (request, reply) => {
      await c.projectClients.delete(requestAuthority(request), request.params.clientId, auditContext(request));
      return reply.code(204).send();
    });
    admin.post<WithId>('/admin/api/v1/clients/:clientId/rotate-secret', { schema: docs.rotate }, async (request) => {
      const b = request.body === undefined || request.body === null ? {} : jsonObject(request);
      const given = b['grace'] ?? 0;
      const grace = typeof given === 'string' || typeof given === 'number' ? parseDuration(given) : undefined;
      if (grace === undefined) throw new InvalidRequest('grace must be a duration like 0, 3600 or 24h');
      const rotated = await c.projectClients.rotateSecret(requestAuthority(request), request.params.clientId, grace, undefined, auditContext(request));
      return { client_id: request.params.clientId, client_secret: rotated.clientSecret, previous_secret_valid_until: rotated.previousValidUntil };
    });
  });
}
