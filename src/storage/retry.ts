/**
 * Retry of transactions that PostgreSQL aborted to resolve a conflict between concurrent transactions:
 * SQLSTATE 40001 (serialization_failure) and 40P01 (deadlock_detected). Both mean "nothing of this transaction
 * was written; running it again may succeed" (PostgreSQL manual, §13.6 "Serialization Failure Handling"), so
 * the whole transaction function runs again, a bounded number of times, after a short random pause that keeps
 * the retried transactions from meeting in the same order again. Every other error passes through at once.
 * SQLite never reports these codes: its single connection runs transactions one at a time.
 */
import { setTimeout as sleep } from 'node:timers/promises';

const RETRYABLE = new Set(['40001', '40P01']);

export interface RetryOptions {
  /** Runs after the first one (default 3). */
  retries?: number;
  /** Upper bound of the first pause in ms; each further pause doubles it (default 4). */
  baseDelayMs?: number;
}

/** True for an error a fresh run of the same transaction may not meet again. */
export function isRetryableConflict(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && RETRYABLE.has(code);
}

/** Runs `run` (a whole transaction: begin … commit), again when it failed with a retryable conflict. */
export async function withConflictRetry<T>(run: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const retries = options.retries ?? 3;
  const base = options.baseDelayMs ?? 4;
  for (let attempt = 0; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (attempt >= retries || !isRetryableConflict(err)) throw err;
      // Full jitter (a random pause up to the bound) spreads the retries of the transactions that collided.
      await sleep(Math.random() * base * 2 ** attempt);
    }
  }
}
