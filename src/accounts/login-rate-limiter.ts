/**
 * Failed-login limits per account and per client IP, in fixed windows. Kept in process memory and bounded:
 * each node limits on its own, which still caps guessing at (nodes × limit) per window (docs/SECURITY.md).
 */
const MAX_KEYS = 100_000;

export interface RateLimitOptions {
  perAccount: number;
  perIp: number;
  windowSeconds: number;
}

export class LoginRateLimiter {
  private readonly failures = new Map<string, { count: number; resetAt: number }>();
  private readonly options: RateLimitOptions;

  constructor(options: RateLimitOptions) {
    this.options = options;
  }

  /** Seconds until another attempt is allowed, or 0 when the attempt may go ahead. */
  retryAfter(account: string, ip: string, now: number): number {
    const wait = (key: string, limit: number) => {
      const entry = this.failures.get(key);
      if (!entry || entry.resetAt <= now) return 0;
      return entry.count >= limit ? entry.resetAt - now : 0;
    };
    return Math.max(wait(`a:${account.toLowerCase()}`, this.options.perAccount), wait(`i:${ip}`, this.options.perIp));
  }

  recordFailure(account: string, ip: string, now: number): void {
    for (const key of [`a:${account.toLowerCase()}`, `i:${ip}`]) {
      const entry = this.failures.get(key);
      if (!entry || entry.resetAt <= now) {
        if (this.failures.size >= MAX_KEYS) this.evict(now);
        this.failures.set(key, { count: 1, resetAt: now + this.options.windowSeconds });
      } else {
        entry.count += 1;
      }
    }
  }

  recordSuccess(account: string): void {
    this.failures.delete(`a:${account.toLowerCase()}`);
  }

  private evict(now: number): void {
    for (const [k, v] of this.failures) if (v.resetAt <= now) this.failures.delete(k);
    if (this.failures.size >= MAX_KEYS) this.failures.clear();
  }
}
