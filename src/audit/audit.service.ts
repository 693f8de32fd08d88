/**
 * Reading the audit log (the CLI and the admin API share these rules), recording events that change nothing
 * else (a failed sign-in), and the retention purge the janitor runs.
 */
import type { Clock } from '../oauth/clock.js';
import { parseDuration } from '../oauth/duration.js';
import { InvalidRequest } from '../oauth/errors.js';
import { EVENT_ID, record, type AuditContext, type AuditEntry } from './audit-event.js';
import type { AuditEvent, AuditStore } from './audit.store.js';

export interface AuditServiceDeps {
  store: AuditStore;
  clock: Clock;
  /** Seconds an event is kept; 0 keeps events forever. */
  retention: number;
}

/** Filters as they arrive from a query string or the command line. */
export interface AuditFilter {
  since?: string | undefined;
  actor?: string | undefined;
  action?: string | undefined;
  limit?: string | number | undefined;
  cursor?: string | undefined;
}

export interface AuditPage {
  events: AuditEvent[];
  /** The cursor of the next (older) page; null on the last page. */
  nextCursor: string | null;
}

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 1000;
const ACTION = /^[a-z_]+(\.[a-z_]+)*(\.\*)?$/;

export class AuditService {
  private readonly deps: AuditServiceDeps;

  constructor(deps: AuditServiceDeps) {
    this.deps = deps;
  }

  /** Records an event on its own, for facts that come with no other write (a refused sign-in). */
  async record(entry: AuditEntry, ctx?: AuditContext): Promise<void> {
    await record(this.deps.store, this.deps.clock.now(), entry, ctx);
  }

  /** One page, newest first; fetching one extra row tells whether another page follows. */
  async list(filter: AuditFilter): Promise<AuditPage> {
    const limit = this.limit(filter.limit);
    if (filter.cursor !== undefined && !EVENT_ID.test(filter.cursor)) throw new InvalidRequest('cursor: not a cursor of this list');
    if (filter.action !== undefined && !ACTION.test(filter.action)) throw new InvalidRequest('action: a dotted action like signin.failure or client.*');
    if (filter.actor !== undefined && (filter.actor.length === 0 || filter.actor.length > 256)) throw new InvalidRequest('actor: an actor id');
    const rows = await this.deps.store.list({
      since: filter.since === undefined ? undefined : this.since(filter.since),
      actorId: filter.actor,
      action: filter.action,
      before: filter.cursor,
      limit: limit + 1,
    });
    const events = rows.slice(0, limit);
    return { events, nextCursor: rows.length > limit ? events[events.length - 1]!.id : null };
  }

  /** Deletes events older than the retention window; the janitor calls it with the other purges. */
  async purge(): Promise<number> {
    if (this.deps.retention === 0) return 0;
    return this.deps.store.purgeBefore(this.deps.clock.now() - this.deps.retention);
  }

  private limit(value: string | number | undefined): number {
    if (value === undefined) return DEFAULT_LIMIT;
    const n = typeof value === 'number' ? value : /^\d{1,6}$/.test(value) ? Number(value) : NaN;
    if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) throw new InvalidRequest(`limit: an integer from 1 to ${MAX_LIMIT}`);
    return n;
  }

  /** `1h` (a duration back from now), `1767225600` (epoch seconds) or an ISO 8601 time. */
  private since(value: string): number {
    const text = value.trim();
    if (/^\d+$/.test(text)) return Number(text);
    const ago = /^\d+\s*[smhd]$/.test(text) ? parseDuration(text) : undefined;
    if (ago !== undefined) return this.deps.clock.now() - ago;
    const ms = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : NaN;
    if (Number.isNaN(ms)) throw new InvalidRequest('since: a duration like 1h, epoch seconds, or an ISO 8601 time');
    return Math.floor(ms / 1000);
  }
}

/** The wire shape of an event (admin API and `audit list --json`). */
export const auditEventView = (e: AuditEvent) => ({
  id: e.id,
  at: e.at,
  time: new Date(e.at * 1000).toISOString(),
  actor: { type: e.actorType, id: e.actorId },
  action: e.action,
  target: e.targetType === null ? null : { type: e.targetType, id: e.targetId },
  project_id: e.projectId,
  outcome: e.outcome,
  request_id: e.requestId,
  ip: e.ip,
  user_agent: e.userAgent,
  detail: e.detail,
});
