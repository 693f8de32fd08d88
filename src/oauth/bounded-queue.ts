/**
 * A counting semaphore with a bounded waiting line, for expensive work an unauthenticated caller can trigger
 * (argon2id holds 19 MiB and ~15–50 ms of a core per verification). When the line is full, or one key (e.g. a
 * client id) already holds its share, the work is refused at once with 503 temporarily_unavailable and
 * Retry-After instead of growing latency and memory without bound (issue 10, item 9).
 */
import { TemporarilyUnavailable } from './errors.js';

export interface BoundedQueueOptions {
  /** Tasks running at once. */
  concurrency: number;
  /** Tasks that may wait for a slot; more are refused. */
  maxWaiting: number;
  /** Running + waiting tasks one key may hold; unlimited when absent. */
  perKey?: number | undefined;
}

export class BoundedQueue {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly held = new Map<string, number>();
  private readonly options: BoundedQueueOptions;

  constructor(options: BoundedQueueOptions) {
    this.options = options;
  }

  /** Runs `task` when a slot is free (in arrival order), or throws TemporarilyUnavailable without running it. */
  async run<T>(task: () => Promise<T>, key?: string): Promise<T> {
    const { concurrency, maxWaiting, perKey } = this.options;
    const mine = key === undefined ? 0 : (this.held.get(key) ?? 0);
    if ((this.active >= concurrency && this.waiting.length >= maxWaiting) || (perKey !== undefined && mine >= perKey)) {
      throw new TemporarilyUnavailable('the server is busy; retry shortly', 1);
    }
    if (key !== undefined) this.held.set(key, mine + 1);
    try {
      // A finishing task hands its slot straight to the next waiter, so the limit holds exactly.
      if (this.active >= concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
      else this.active++;
      try {
        return await task();
      } finally {
        const next = this.waiting.shift();
        if (next) next();
        else this.active--;
      }
    } finally {
      if (key !== undefined) {
        const left = (this.held.get(key) ?? 1) - 1;
        if (left > 0) this.held.set(key, left);
        else this.held.delete(key);
      }
    }
  }
}
