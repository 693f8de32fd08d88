import { sql, type Insertable, type Selectable } from 'kysely';
import type { AuditDetail, AuditEvent, AuditStore } from '../../audit/audit.store.js';
import type { AuditEventsTable } from '../schema.js';
import type { Executor } from '../stores.js';

const toEvent = (r: Selectable<AuditEventsTable>): AuditEvent => ({
  id: r.id,
  at: r.at,
  actorType: r.actor_type,
  actorId: r.actor_id,
  action: r.action,
  targetType: r.target_type,
  targetId: r.target_id,
  projectId: r.project_id,
  outcome: r.outcome,
  requestId: r.request_id,
  ip: r.ip,
  userAgent: r.user_agent,
  detail: r.detail === null ? null : (JSON.parse(r.detail) as AuditDetail),
});

export const AUDIT_COLUMNS = [
  'id', 'at', 'actor_type', 'actor_id', 'action', 'target_type', 'target_id', 'project_id', 'outcome', 'request_id',
  'ip', 'user_agent', 'detail',
] as const satisfies ReadonlyArray<keyof AuditEventsTable>;

/** An event as its row (also written by the one-statement sign-in completion, code.kysely.ts). */
export const auditRow = (e: AuditEvent): Insertable<AuditEventsTable> => ({
  id: e.id,
  at: e.at,
  actor_type: e.actorType,
  actor_id: e.actorId,
  action: e.action,
  target_type: e.targetType,
  target_id: e.targetId,
  project_id: e.projectId,
  outcome: e.outcome,
  request_id: e.requestId,
  ip: e.ip,
  user_agent: e.userAgent,
  detail: e.detail === null ? null : JSON.stringify(e.detail),
});

/** `client.*` → `client.%`, with LIKE's own wildcards (`_` is common in actions) matched literally. */
const likePrefix = (prefix: string) => `${prefix.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;

export function kyselyAuditStore(db: Executor): AuditStore {
  return {
    async append(e) {
      await db.insertInto('audit_events').values(auditRow(e)).execute();
    },
    async list(q) {
      let query = db.selectFrom('audit_events').selectAll();
      if (q.since !== undefined) query = query.where('at', '>=', q.since);
      if (q.actorId !== undefined) query = query.where('actor_id', '=', q.actorId);
      if (q.action !== undefined) {
        const prefix = q.action.endsWith('.*') ? q.action.slice(0, -1) : undefined;
        query = prefix
          ? query.where(sql<boolean>`${sql.ref('action')} like ${likePrefix(prefix)} escape '\\'`)
          : query.where('action', '=', q.action);
      }
      if (q.before !== undefined) query = query.where('id', '<', q.before);
      return (await query.orderBy('id', 'desc').limit(q.limit).execute()).map(toEvent);
    },
    async purgeBefore(at) {
      const r = await db.deleteFrom('audit_events').where('at', '<', at).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
