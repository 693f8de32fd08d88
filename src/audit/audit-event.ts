/**
 * Building an event: the request context routes pass down, the time-ordered id, and `record`, the one line a
 * service writes inside its transaction. Ids are `<at, 11 digits>-<per-process sequence>-<random>`: they sort
 * by time, and by order of writing within one process and second; two processes writing in the same second
 * interleave arbitrarily but stably, so a cursor (an id) never skips or repeats an event.
 */
import { randomToken } from '../oauth/random.js';
import type { Actor, AuditDetail, AuditEvent, AuditStore, Outcome } from './audit.store.js';

/** Where a change came from: built from the HTTP request (src/http/audit-context.ts) or by the CLI. */
export interface AuditContext {
  requestId?: string | undefined;
  ip?: string | undefined;
  userAgent?: string | undefined;
  actor?: Actor | undefined;
}

/** Commands run by the operator on the host. */
export const CLI_CONTEXT: AuditContext = { actor: { type: 'system', id: 'cli' } };

export interface AuditEntry {
  action: string;
  outcome?: Outcome | undefined;
  /** Overrides the context's actor (a sign-in acts as the user who signed in). */
  actor?: Actor | undefined;
  target?: { type: string; id: string | null } | undefined;
  projectId?: string | null | undefined;
  detail?: AuditDetail | undefined;
}

export const EVENT_ID = /^\d{11}-[0-9a-z]{6,}-[\w-]{8}$/;

let lastAt = 0;
let sequence = 0;

function eventId(at: number): string {
  if (at > lastAt) {
    lastAt = at;
    sequence = 0;
  } else {
    sequence += 1;
  }
  return `${String(at).padStart(11, '0')}-${sequence.toString(36).padStart(6, '0')}-${randomToken(6)}`;
}

/** Header values are the client's to choose: bounded so one request cannot write a large row. */
const clip = (value: string | undefined, max: number): string | null => (value ? value.slice(0, max) : null);

export function auditEvent(at: number, entry: AuditEntry, ctx: AuditContext = {}): AuditEvent {
  const actor = entry.actor ?? ctx.actor ?? { type: 'system', id: null };
  return {
    id: eventId(at),
    at,
    actorType: actor.type,
    actorId: actor.id,
    action: entry.action,
    targetType: entry.target?.type ?? null,
    targetId: entry.target?.id ?? null,
    projectId: entry.projectId ?? null,
    outcome: entry.outcome ?? 'success',
    requestId: clip(ctx.requestId, 64),
    ip: clip(ctx.ip, 64),
    userAgent: clip(ctx.userAgent, 256),
    detail: entry.detail ?? null,
  };
}

/** Appends one event through `store` — bound to the caller's transaction, it commits or rolls back with it. */
export function record(store: AuditStore, at: number, entry: AuditEntry, ctx?: AuditContext): Promise<void> {
  return store.append(auditEvent(at, entry, ctx));
}
