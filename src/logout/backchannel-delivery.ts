/**
 * Back-Channel Logout 1.0 §2.5 delivery: each logout token is POSTed to the client's backchannel_logout_uri
 * away from the request that caused it, so a slow or dead receiver never delays anyone's logout.
 * Durability is an in-process queue: bounded (a flood of logouts cannot grow memory without limit; a job
 * refused for a full queue is audited as failed), a few deliveries at a time, and a bounded number of retries
 * with exponential back-off for transient failures (a network error, a timeout, a 5xx). Jobs still queued
 * when the process stops are lost; the outcome of every job that ran is in the audit log.
 */
import type { AuditEntry } from '../audit/audit-event.js';

export interface DeliveryJob {
  clientId: string;
  uri: string;
  logoutToken: string;
}

export interface DeliveryOptions {
  /** POSTs the form, resolves with the status or rejects (timeouts are the poster's). */
  post(url: string, form: Record<string, string>): Promise<number>;
  audit(entry: AuditEntry): Promise<void>;
  maxPending: number;
  concurrency: number;
  /** Attempts per job, the first included. */
  attempts: number;
  /** Delay before the first retry; doubled before each next one. */
  backoffMs: number;
}

interface Pending extends DeliveryJob {
  attempt: number;
}

const describe = (err: unknown) => (err instanceof Error ? err.message : String(err));

export class BackchannelDelivery {
  private readonly options: DeliveryOptions;
  private readonly queue: Pending[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private running = 0;
  /** Jobs queued, running or waiting for a retry. */
  private inSystem = 0;
  private stopped = false;

  constructor(options: DeliveryOptions) {
    this.options = options;
  }

  /** Queues a delivery; never throws and never waits for the receiver. */
  enqueue(job: DeliveryJob): void {
    if (this.stopped || this.inSystem >= this.options.maxPending) {
      this.report(job, 0, { outcome: 'failure', reason: this.stopped ? 'server stopping' : 'delivery queue full' });
      return;
    }
    this.inSystem++;
    this.queue.push({ ...job, attempt: 0 });
    this.pump();
  }

  /** Resolves once nothing is queued or running (retries waiting for their timer do not count), or after `maxMs`. */
  async drain(maxMs: number): Promise<void> {
    const until = Date.now() + maxMs;
    while ((this.running > 0 || this.queue.length > 0) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  }

  /** Cancels pending retries (on shutdown). */
  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private pump(): void {
    while (this.running < this.options.concurrency && this.queue.length > 0) {
      const job = this.queue.shift()!;
      this.running++;
      void this.attempt(job).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  private async attempt(job: Pending): Promise<void> {
    job.attempt++;
    let status: number | undefined;
    let reason: string | undefined;
    try {
      status = await this.options.post(job.uri, { logout_token: job.logoutToken });
    } catch (err) {
      reason = describe(err);
    }
    // §2.8: 200 OK; some frameworks answer 204, which is accepted too.
    if (status === 200 || status === 204) return this.finish(job, { outcome: 'success', status });
    // A 4xx other than 429 is the receiver refusing this token: retrying would not change its answer.
    const transient = status === undefined || status >= 500 || status === 429;
    if (!transient || job.attempt >= this.options.attempts || this.stopped) {
      return this.finish(job, { outcome: 'failure', ...(status !== undefined ? { status } : {}), ...(reason ? { reason } : {}) });
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.queue.push(job);
      this.pump();
    }, this.options.backoffMs * 2 ** (job.attempt - 1));
    timer.unref();
    this.timers.add(timer);
  }

  private finish(job: Pending, result: { outcome: 'success' | 'failure'; status?: number; reason?: string }): void {
    this.inSystem--;
    this.report(job, job.attempt, result);
  }

  private report(job: DeliveryJob, attempts: number, result: { outcome: 'success' | 'failure'; status?: number; reason?: string }): void {
    const detail = { uri: job.uri, attempts, ...(result.status !== undefined ? { status: result.status } : {}), ...(result.reason ? { reason: result.reason } : {}) };
    this.options
      .audit({ action: 'logout.backchannel', outcome: result.outcome, target: { type: 'client', id: job.clientId }, detail })
      .catch(() => undefined);
  }
}
