/**
 * In-process LoginThrottle (docs/SECURITY.md "Sign-in throttling"). Three counters per attempt, reserved
 * synchronously inside `reserve` (no await between check and increment, so concurrent requests cannot
 * interleave):
 * - (account, IP): the tight limit, in a fixed window;
 * - IP alone: bounds one address guessing across many accounts;
 * - account alone: a much higher limit, then exponential back-off (1 s, 2 s, 4 s … capped), so a distributed
 *   attack slows to a trickle without locking the owner out — an address that signed in to the account within
 *   `knownAddressLifetime` is exempt from this counter only.
 * Maps are bounded; each node limits on its own, so N nodes allow at most N × each limit.
 */
import type { Clock } from '../oauth/clock.js';
import type { Gate, LoginAttempt, LoginThrottle, Reservation } from './login-throttle.js';

const MAX_KEYS = 100_000;

export interface LoginLimits {
  perAccountAndIp: number;
  perIp: number;
  perAccount: number;
  /** Seconds: the window of every counter; a counter with no failure for this long is forgotten. */
  window: number;
  /** Seconds: the longest back-off between account-wide attempts past `perAccount`. */
  maxBackoff: number;
  /** Seconds an address that signed in stays known for that account. */
  knownAddressLifetime: number;
}

interface Counter {
  count: number;
  resetAt: number;
  /** Account counter only: no attempt before this time (the back-off). */
  nextAt: number;
}

/** A Map that forgets its oldest entries when full, so an attacker's many keys cannot exhaust memory. */
class BoundedMap<V> extends Map<string, V> {
  override set(key: string, value: V): this {
    if (!this.has(key) && this.size >= MAX_KEYS) {
      const oldest = this.keys().next();
      if (!oldest.done) this.delete(oldest.value);
    }
    return super.set(key, value);
  }
}

export class MemoryLoginThrottle implements LoginThrottle {
  private readonly counters = new BoundedMap<Counter>();
  private readonly known = new BoundedMap<number>();
  private readonly limits: LoginLimits;
  private readonly clock: Clock;

  constructor(limits: LoginLimits, clock: Clock) {
    this.limits = limits;
    this.clock = clock;
  }

  reserve(attempt: LoginAttempt): Promise<Reservation> {
    return Promise.resolve(this.reserveNow(attempt));
  }

  peek(attempt: LoginAttempt): Promise<Gate> {
    const now = this.clock.now();
    const wait = Math.max(...this.keys(attempt, now).keys.map((k) => this.wait(k, now)));
    return Promise.resolve({ allowed: wait === 0, retryAfter: wait });
  }

  succeeded(attempt: LoginAttempt): void {
    this.remember(this.keys(attempt, this.clock.now()).pairKey, this.clock.now());
  }

  /** The counters an attempt is checked against: an address known for the account skips the account-wide one. */
  private keys({ account, ip }: LoginAttempt, now: number): { pairKey: string; keys: string[] } {
    const name = account.trim().toLowerCase();
    const pairKey = `p:${name}\n${ip}`;
    const knownUntil = this.known.get(pairKey);
    const knownAddress = knownUntil !== undefined && knownUntil > now;
    return { pairKey, keys: knownAddress ? [pairKey, `i:${ip}`] : [pairKey, `i:${ip}`, `a:${name}`] };
  }

  private remember(pairKey: string, now: number): void {
    this.counters.delete(pairKey);
    this.known.delete(pairKey);
    this.known.set(pairKey, now + this.limits.knownAddressLifetime);
  }

  private reserveNow(attempt: LoginAttempt): Reservation {
    const now = this.clock.now();
    const { pairKey, keys } = this.keys(attempt, now);
    const wait = Math.max(...keys.map((k) => this.wait(k, now)));
    if (wait > 0) return { allowed: false, retryAfter: wait, exhausted: true, succeeded: () => {}, release: () => {} };
    for (const key of keys) this.count(key, now);
    const exhausted = keys.some((k) => this.wait(k, now) > 0);
    let settled = false;
    const refund = () => {
      if (settled) return;
      settled = true;
      for (const key of keys) {
        const c = this.counters.get(key);
        if (c && c.count > 0) c.count -= 1;
      }
    };
    return {
      allowed: true,
      retryAfter: 0,
      exhausted,
      release: refund,
      succeeded: () => {
        refund();
        this.remember(pairKey, now);
      },
    };
  }

  private limit(key: string): number {
    if (key.startsWith('p:')) return this.limits.perAccountAndIp;
    return key.startsWith('i:') ? this.limits.perIp : this.limits.perAccount;
  }

  private wait(key: string, now: number): number {
    const c = this.counters.get(key);
    if (!c || c.resetAt <= now) return 0;
    if (key.startsWith('a:')) return c.count >= this.limit(key) && c.nextAt > now ? c.nextAt - now : 0;
    return c.count >= this.limit(key) ? c.resetAt - now : 0;
  }

  private count(key: string, now: number): void {
    let c = this.counters.get(key);
    if (!c || c.resetAt <= now) {
      c = { count: 0, resetAt: now + this.limits.window, nextAt: 0 };
      this.counters.set(key, c);
    }
    c.count += 1;
    if (!key.startsWith('a:')) return;
    // Past the limit the account counter slides (each attempt extends it) and spaces attempts exponentially.
    const over = c.count - this.limit(key);
    if (over >= 0) {
      const backoff = Math.min(this.limits.maxBackoff, 2 ** Math.min(over, 30));
      c.nextAt = now + backoff;
      c.resetAt = Math.max(c.resetAt, now + this.limits.window);
    }
  }
}
