import type { FastifyInstance } from 'fastify';
import type { Container } from '../../app.js';
import { memberView, projectView, scopeView } from '../../projects/views.js';
import { InvalidRequest } from '../../oauth/errors.js';
import { requestAuthority, jsonObject, optionalString, requireAdmin } from '../admin-auth.js';
import { auditContext } from '../audit-context.js';
import { adminProjectSchemas as docs } from '../schemas/admin.js';

type WithProject = { Params: { projectId: string } };
type WithMember = { Params: { projectId: string; userId: string } };
type WithScope = { Params: { projectId: string; name: string } };

/** Admin API for projects, their members and their custom scopes. The rules live in ProjectService/ScopeRegistry. */
export function adminProjectRoutes(app: FastifyInstance, c: Container): void {
  app.register(async (admin) => {
    admin.addHook('onRequest', requireAdmin(c));
    admin.get('/admin/api/v1/projects', { schema: docs.list }, async (request) => ({ projects: (await c.projects.list(requestAuthority(request))).map(projectView) }));
    admin.post('/admin/api/v1/projects', { schema: docs.create }, async (request, reply) =>
      reply.code(201).send(projectView(await c.projects.create(requestAuthority(request), jsonObject(request)['name'], auditContext(request)))),
    );
    admin.get<WithProject>('/admin/api/v1/projects/:projectId', { schema: docs.get }, async (request) =>
      projectView(await c.projects.get(requestAuthority(request), request.params.projectId)),
    );
    admin.patch<WithProject>('/admin/api/v1/projects/:projectId', { schema: docs.rename }, async (request) =>
      projectView(await c.projects.rename(requestAuthority(request), request.params.projectId, jsonObject(request)['name'], auditContext(request))),
    );
    admin.delete<WithProject>('/admin/api/v1/projects/:projectId', { schema: docs.delete }, async (request, reply) => {
      await c.projects.delete(requestAuthority(request), request.params.projectId, auditContext(request));
      return reply.code(204).send();
    });

    admin.get<WithProject>('/admin/api/v1/projects/:projectId/members', { schema: docs.members }, async (request) => ({
      members: (await c.projects.members(requestAuthority(request), request.params.projectId)).map(memberView),
    }));
    admin.post<WithProject>('/admin/api/v1/projects/:projectId/members', { schema: docs.addMember }, async (request, reply) => {
      const b = jsonObject(request);
      const user = optionalString(b, 'user_id') ?? optionalString(b, 'email');
      if (!user) throw new InvalidRequest('user_id or email is required');
      const member = await c.projects.addMember(requestAuthority(request), request.params.projectId, user, b['role'], auditContext(request));
      return reply.code(201).send(memberView(member));
    });
    admin.patch<WithMember>('/admin/api/v1/projects/:projectId/members/:userId', { schema: docs.setRole }, async (request) =>
      memberView(await c.projects.setRole(requestAuthority(request), request.params.projectId, request.params.userId, jsonObject(request)['role'], auditContext(request))),
    );
    admin.delete<WithMember>('/admin/api/v1/projects/:projectId/members/:userId', { schema: docs.removeMember }, async (request, reply) => {
      await c.projects.removeMember(requestAuthority(request), request.params.projectId, request.params.userId, auditContext(request));
      return reply.code(204).send();
    });

    admin.get<WithProject>('/admin/api/v1/projects/:projectId/scopes', { schema: docs.scopes }, async (request) => ({
      scopes: (await c.scopes.list(requestAuthority(request), request.params.projectId)).map(scopeView),
    }));
    admin.post<WithProject>('/admin/api/v1/projects/:projectId/scopes', { schema: docs.addScope }, async (request, reply) =>
      reply.code(201).send(scopeView(await c.scopes.create(requestAuthority(request), request.params.projectId, jsonObject(request), auditContext(request)))),
    );
    admin.delete<WithScope>('/admin/api/v1/projects/:projectId/scopes/:name', { schema: docs.deleteScope }, async (request, reply) => {
      await c.scopes.delete(requestAuthority(request), request.params.projectId, request.params.name, auditContext(request));
      return reply.code(204).send();
    });
  });
}
