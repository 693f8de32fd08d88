/**
 * Group commit for SQLite. A commit is the dearest part of a token or sign-in write: WAL frame writes and
 * file locks, 100–150 µs on a small VM, far more than the statements themselves. Queued transactions run one
 * after another inside ONE database transaction, each in its own savepoint, and are committed together (when,
 * see groupCommit).
 *
 * - Isolation is unchanged: SQLite has one connection, so transactions always ran one at a time; they still do.
 * - Atomicity per unit: a unit that throws is rolled back to its savepoint and rejected; the others commit.
 * - Durability before answer: no unit resolves until the shared COMMIT has succeeded. If the COMMIT (or a
 *   savepoint statement) fails, nothing of the batch was written and every unit of it is rejected.
 *
 * PostgreSQL gets plain transactions: each request has its own pooled connection there.
 */
import { CompiledQuery, type Kysely, type Transaction } from 'kysely';
import { withConflictRetry } from './retry.js';

type Unit<DB> = {
  fn: (tx: Transaction<DB>) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
};

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

const SAVEPOINT = CompiledQuery.raw('savepoint unit');
const RELEASE = CompiledQuery.raw('release unit');
const ROLLBACK_TO = CompiledQuery.raw('rollback to unit');

export type RunInTransaction<DB> = <T>(fn: (tx: Transaction<DB>) => Promise<T>) => Promise<T>;

/** Plain transactions: one per call, run again when PostgreSQL aborted it for a deadlock or serialization conflict. */
export function eachInOwnTransaction<DB>(db: Kysely<DB>): RunInTransaction<DB> {
  return (fn) => withConflictRetry(() => db.transaction().execute(fn));
}

/**
 * When to commit: at the end of the first event-loop turn that queues no further unit. A unit's turn is
 * followed by a check (setImmediate); if more units arrived meanwhile, the check waits one more turn, since
 * more requests are being handled and their units can share the commit. A lone client is never delayed (the
 * first check finds nothing new), nor are clients that all wait on this batch (no turn adds a unit). The wait
 * is capped at `maxDelayMs` and `maxBatch` units; a lone unit runs in a plain transaction.
 */
export function groupCommit<DB>(db: Kysely<DB>, options: { maxBatch?: number; maxDelayMs?: number } = {}): RunInTransaction<DB> {
  const maxBatch = options.maxBatch ?? 64;
  const maxDelayMs = options.maxDelayMs ?? 5;
  let queue: Unit<DB>[] = [];
  let scheduled = false;
  let flushing = false;
  let arrived = 0;
  let since = 0;

  const check = () => {
    if (arrived > 0 && queue.length < maxBatch && performance.now() - since < maxDelayMs) {
      arrived = 0;
      setImmediate(check);
      return;
    }
    scheduled = false;
    void flush();
  };
  const schedule = () => {
    if (scheduled || flushing) {
      arrived++;
      return;
    }
    scheduled = true;
    arrived = 0;
    since = performance.now();
    setImmediate(check);
  };

  const flush = async () => {
    flushing = true;
    try {
      while (queue.length > 0) {
        const batch = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch);
        queue = queue.length <= maxBatch ? [] : queue.slice(maxBatch);
        if (batch.length === 1) await runAlone(db, batch[0]!);
        else await runTogether(db, batch);
      }
    } finally {
      flushing = false;
    }
  };

  return <T>(fn: (tx: Transaction<DB>) => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      schedule();
    });
}

async function runAlone<DB>(db: Kysely<DB>, unit: Unit<DB>): Promise<void> {
  try {
    unit.resolve(await db.transaction().execute(unit.fn));
  } catch (err) {
    unit.reject(err);
  }
}

async function runTogether<DB>(db: Kysely<DB>, batch: Unit<DB>[]): Promise<void> {
  const outcomes: Outcome[] = [];
  try {
    await db.transaction().execute(async (tx) => {
      for (const unit of batch) {
        await tx.executeQuery(SAVEPOINT);
        try {
          const value = await unit.fn(tx);
          await tx.executeQuery(RELEASE);
          outcomes.push({ ok: true, value });
        } catch (error) {
          await tx.executeQuery(ROLLBACK_TO);
          await tx.executeQuery(RELEASE);
          outcomes.push({ ok: false, error });
        }
      }
    });
  } catch (err) {
    // The batch was rolled back as a whole: no unit's work is stored, so none may answer as if it were.
    for (const unit of batch) unit.reject(err);
    return;
  }
  batch.forEach((unit, i) => {
    const outcome = outcomes[i]!;
    if (outcome.ok) unit.resolve(outcome.value);
    else unit.reject(outcome.error);
  });
}
