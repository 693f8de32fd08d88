import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Container } from '../../app.js';
import { userView } from '../../accounts/account.service.js';
import { InvalidRequest } from '../../oauth/errors.js';
import { requireAdmin } from './admin-clients.route.js';
import { auditContext } from '../audit-context.js';

type WithId = { Params: { userId: string } };


const body = (request: FastifyRequest): Record<string, unknown> => {
  const b = request.body;
  if (!b || typeof b !== 'object' || Array.isArray(b)) throw new InvalidRequest('the request body must be a JSON object');
  return b as Record<string, unknown>;
};
const str = (v: unknown, field: string): string | undefined => {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new InvalidRequest(`${field}: must be a string`);
  return v;
};

/** Admin API for accounts and their consents. */
export function adminUserRoutes(app: FastifyInstance, c: Container): void {
  app.register(async (admin) => {
    admin.addHook('onRequest', requireAdmin(c));
    admin.get('/admin/api/v1/users', async () => ({ users: (await c.accounts.list(1000, 0)).map(userView) }));
    admin.post('/admin/api/v1/users', async (request, reply) => {
      const b = body(request);
      const user = await c.accounts.create({
        email: str(b['email'], 'email') ?? '',
        password: str(b['password'], 'password'),
        givenName: str(b['given_name'], 'given_name'),
        familyName: str(b['family_name'], 'family_name'),
        emailVerified: b['email_verified'] === true,
      }, auditContext(request));
      return reply.code(201).send(userView(user));
    });
    admin.get<WithId>('/admin/api/v1/users/:userId', async (request) => userView(await c.accounts.get(request.params.userId)));
    admin.patch<WithId>('/admin/api/v1/users/:userId', async (request) => {
      const b = body(request);
      if (b['password'] !== undefined) await c.accounts.setPassword(request.params.userId, str(b['password'], 'password')!, auditContext(request));
      if (b['disabled'] !== undefined) {
        if (typeof b['disabled'] !== 'boolean') throw new InvalidRequest('disabled: must be true or false');
        await c.accounts.setDisabled(request.params.userId, b['disabled'], auditContext(request));
      }
      return userView(await c.accounts.get(request.params.userId));
    });
    admin.get<WithId>('/admin/api/v1/users/:userId/consents', async (request) => {
      await c.accounts.get(request.params.userId);
      const consents = await c.consents.list(request.params.userId);
      return { consents: consents.map((x) => ({ client_id: x.clientId, scope: x.scopes.join(' '), created_at: x.createdAt, updated_at: x.updatedAt })) };
    });
    admin.delete<{ Params: { userId: string; clientId: string } }>('/admin/api/v1/users/:userId/consents/:clientId', async (request, reply) => {
      await c.consents.revoke(request.params.userId, request.params.clientId, auditContext(request));
      return reply.code(204).send();
    });
  });
}
