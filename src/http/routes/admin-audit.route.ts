import type { FastifyInstance } from 'fastify';
import type { Container } from '../../app.js';
import { auditEventView } from '../../audit/audit.service.js';
import { requireOperator } from '../../projects/authority.js';
import { requestAuthority, requireAdmin } from '../admin-auth.js';
import { adminAuditSchema } from '../schemas/admin.js';

type Query = { Querystring: { since?: string; actor?: string; action?: string; limit?: string; cursor?: string } };

const text = { type: 'string', maxLength: 256 } as const;
/** Each filter once, as a string: a repeated parameter is a 400, not a guess at which one was meant. */
const querystring = {
  type: 'object',
  properties: { since: text, actor: text, action: text, limit: text, cursor: text },
  additionalProperties: false,
} as const;

/** `GET /admin/api/v1/audit`: newest first, one page per call; `next_cursor` fetches the next (older) page. */
export function adminAuditRoutes(app: FastifyInstance, c: Container): void {
  app.register(async (admin) => {
    admin.addHook('onRequest', requireAdmin(c));
    // The whole installation's log: operators only.
    admin.addHook('preHandler', async (request) => requireOperator(requestAuthority(request)));
    admin.get<Query>('/admin/api/v1/audit', { schema: { ...adminAuditSchema, querystring } }, async (request) => {
      const q = request.query;
      const page = await c.audit.list({ since: q.since, actor: q.actor, action: q.action, limit: q.limit, cursor: q.cursor });
      return { events: page.events.map(auditEventView), next_cursor: page.nextCursor };
    });
  });
}
