/**
 * The audit log's record and its store. Append-only: the store can add an event, list events and drop those
 * older than the retention window, and nothing else — no single row is ever changed or deleted.
 */

export type ActorType = 'user' | 'client' | 'system';
export type Outcome = 'success' | 'failure';

/** Who did it: a signed-in user, an authenticated client, or the operator's CLI / the server itself. */
export interface Actor {
  type: ActorType;
  id: string | null;
}

/**
 * Small, flat and never secret: ids, scope names, counts, key ids. Never a secret, code, token, password,
 * hash, or text a person typed into a sign-in form (docs/SECURITY.md, "Audit log").
 */
export type AuditDetail = Readonly<Record<string, string | number | boolean | null | readonly string[]>>;

export interface AuditEvent {
  /** Time-ordered (audit-event.ts): sorting by id sorts by time, so a page cursor is an id. */
  id: string;
  /** Epoch seconds. */
  at: number;
  actorType: ActorType;
  actorId: string | null;
  /** Dotted, e.g. `signin.failure`, `client.secret_rotated`. */
  action: string;
  targetType: string | null;
  targetId: string | null;
  projectId: string | null;
  outcome: Outcome;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
  detail: AuditDetail | null;
}

export interface AuditQuery {
  /** Only events at or after this time (epoch seconds). */
  since?: number | undefined;
  actorId?: string | undefined;
  /** An exact action, or a prefix ending in `.*` (`client.*`). */
  action?: string | undefined;
  /** Only events older than this one (its id): the cursor of the next page. */
  before?: string | undefined;
  limit: number;
}

export interface AuditStore {
  /** Adds one event, on whatever executor the store was built on: inside a transaction it commits with it. */
  append(event: AuditEvent): Promise<void>;
  /** Newest first. */
  list(query: AuditQuery): Promise<AuditEvent[]>;
  /** Deletes every event older than `at` (the retention purge); returns how many went. */
  purgeBefore(at: number): Promise<number>;
}
