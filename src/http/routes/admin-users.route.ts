import type { FastifyInstance } from 'fastify';
import type { Container } from '../../app.js';
import { userView } from '../../accounts/account.service.js';
import { parseClaimChanges } from '../../claims/claim-input.js';
import { InvalidRequest } from '../../oauth/errors.js';
import { requireOperator } from '../../projects/authority.js';
import { requestAuthority, jsonObject, optionalString, requireAdmin } from '../admin-auth.js';
import { auditContext } from '../audit-context.js';
import { adminUserSchemas as docs } from '../schemas/admin.js';

type WithId = { Params: { userId: string } };

/** Admin API for accounts and their consents: users are installation-wide, so only operators manage them. */
export function adminUserRoutes(app: FastifyInstance, c: Container): void {
  app.register(async (admin) => {
    admin.addHook('onRequest', requireAdmin(c));
    admin.addHook('preHandler', async (request) => requireOperator(requestAuthority(request)));
    admin.get('/admin/api/v1/users', { schema: docs.list }, async () => ({ users: (await c.accounts.list(1000, 0)).map(userView) }));
    admin.post('/admin/api/v1/users', { schema: docs.create }, async (request, reply) => {
      const b = jsonObject(request);
      if (b['email_verified'] !== undefined && typeof b['email_verified'] !== 'boolean') throw new InvalidRequest('email_verified: must be true or false');
      const user = await c.accounts.create({
        email: optionalString(b, 'email') ?? '',
        password: optionalString(b, 'password'),
        givenName: optionalString(b, 'given_name'),
        familyName: optionalString(b, 'family_name'),
        emailVerified: b['email_verified'] === true,
        claims: parseClaimChanges(b),
      }, auditContext(request));
      return reply.code(201).send(userView(user));
    });
    admin.get<WithId>('/admin/api/v1/users/:userId', { schema: docs.get }, async (request) => userView(await c.accounts.get(request.params.userId)));
    admin.patch<WithId>('/admin/api/v1/users/:userId', { schema: docs.update }, async (request) => {
      const b = jsonObject(request);
      const password = optionalString(b, 'password');
      if (b['disabled'] !== undefined && typeof b['disabled'] !== 'boolean') throw new InvalidRequest('disabled: must be true or false');
      if (b['email_verified'] !== undefined && typeof b['email_verified'] !== 'boolean') throw new InvalidRequest('email_verified: must be true or false');
      // Standard claims (OpenID Connect Core §5.1): a value sets, null clears; validated before anything changes.
      const claims = parseClaimChanges(b);
      const email = { email: optionalString(b, 'email'), emailVerified: b['email_verified'] as boolean | undefined };
      await c.accounts.get(request.params.userId);
      if (password !== undefined) await c.accounts.setPassword(request.params.userId, password, auditContext(request));
      if (b['disabled'] !== undefined) await c.accounts.setDisabled(request.params.userId, b['disabled'] as boolean, auditContext(request));
      await c.accounts.updateClaims(request.params.userId, claims, email, auditContext(request));
      return userView(await c.accounts.get(request.params.userId));
    });
    admin.delete<WithId>('/admin/api/v1/users/:userId', { schema: docs.delete }, async (request, reply) => {
      await c.projects.deleteUser(requestAuthority(request), request.params.userId, auditContext(request));
      return reply.code(204).send();
    });
    admin.get<WithId>('/admin/api/v1/users/:userId/consents', { schema: docs.consents }, async (request) => {
      await c.accounts.get(request.params.userId);
      const consents = await c.consents.list(request.params.userId);
      return { consents: consents.map((x) => ({ client_id: x.clientId, scope: x.scopes.join(' '), created_at: x.createdAt, updated_at: x.updatedAt })) };
    });
    admin.delete<{ Params: { userId: string; clientId: string } }>('/admin/api/v1/users/:userId/consents/:clientId', { schema: docs.revokeConsent }, async (request, reply) => {
      await c.consents.revoke(request.params.userId, request.params.clientId, auditContext(request));
      return reply.code(204).send();
    });
  });
}
