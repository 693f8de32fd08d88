/**
 * The throttle contract of accounts/login-throttle.ts over Redis, so that N nodes enforce one limit: sign-in
 * attempts (account = login name) and client authentication (account = client_id) alike. Counting is
 * rate-limiter-flexible's (atomic per counter in Redis); each counter carries an in-memory insurance limiter with
 * the same limits, which takes over on this node while Redis is unreachable.
 *
 * Semantics match the in-memory throttle: the (account, IP) and IP counters always apply; the account-wide
 * counter does not apply to an address that succeeded for that account within `knownAddressLifetime`, so a
 * stranger failing from elsewhere cannot lock the owner out of their usual address. Past the account-wide limit
 * the account is blocked for the rest of the window (the in-memory throttle's exponential back-off has no
 * shared-store equivalent in the library; the window is the bound).
 */
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Gate, LoginAttempt, LoginThrottle, Reservation } from '../accounts/login-throttle.js';
import type { LoginLimits } from '../accounts/login-rate-limiter.js';
import type { SharedStore } from './shared-store.js';

function limiter(store: SharedStore, name: string, points: number, duration: number): RateLimiterAbstract {
  const options = { keyPrefix: `${store.keyPrefix}${name}`, points, duration };
  return new RateLimiterRedis({
    ...options,
    storeClient: store.client,
    rejectIfRedisNotReady: true,
    insuranceLimiter: new RateLimiterMemory(options),
  });
}

/** How long this node skips re-marking an address known after doing so (one Redis write per minute, not per request). */
const REMEMBER_EVERY_MS = 60_000;
const MAX_REMEMBERED = 10_000;

const secondsUntil = (res: unknown) => (res instanceof RateLimiterRes ? Math.max(1, Math.ceil(res.msBeforeNext / 1000)) : 1);

export class SharedThrottle implements LoginThrottle {
  private readonly pair: RateLimiterAbstract;
  private readonly ip: RateLimiterAbstract;
  private readonly account: RateLimiterAbstract;
  /** A TTL set: (account, IP) pairs that succeeded recently. */
  private readonly known: RateLimiterAbstract;
  private readonly knownLifetime: number;
  /** Pairs this node marked known recently, and when. */
  private readonly remembered = new Map<string, number>();

  constructor(store: SharedStore, name: string, limits: LoginLimits) {
    this.knownLifetime = limits.knownAddressLifetime;
    this.pair = limiter(store, `${name}:pair:`, limits.perAccountAndIp, limits.window);
    this.ip = limiter(store, `${name}:ip:`, limits.perIp, limits.window);
    this.account = limiter(store, `${name}:account:`, limits.perAccount, limits.window);
    this.known = limiter(store, `${name}:known:`, 1, limits.knownAddressLifetime);
  }

  /** The counters an attempt is checked against: an address known for the account skips the account-wide one. */
  private async counters({ account, ip }: LoginAttempt): Promise<{ pairKey: string; counters: Array<[RateLimiterAbstract, string]> }> {
    const name = account.trim().toLowerCase();
    const pairKey = `${name}\n${ip}`;
    const knownAddress = ((await this.known.get(pairKey).catch(() => null))?.consumedPoints ?? 0) > 0;
    const counters: Array<[RateLimiterAbstract, string]> = [
      [this.pair, pairKey],
      [this.ip, ip],
      ...(knownAddress ? [] : [[this.account, name] as [RateLimiterAbstract, string]]),
    ];
    return { pairKey, counters };
  }

  async peek(attempt: LoginAttempt): Promise<Gate> {
    const { counters } = await this.counters(attempt);
    const states = await Promise.all(counters.map(([c, k]) => c.get(k).catch(() => null)));
    let retryAfter = 0;
    states.forEach((res, i) => {
      if (res && res.consumedPoints >= counters[i]![0].points) retryAfter = Math.max(retryAfter, secondsUntil(res));
    });
    return { allowed: retryAfter === 0, retryAfter };
  }

  succeeded(attempt: LoginAttempt): void {
    const pairKey = `${attempt.account.trim().toLowerCase()}\n${attempt.ip}`;
    const now = Date.now();
    const last = this.remembered.get(pairKey);
    if (last !== undefined && now - last < REMEMBER_EVERY_MS) return;
    if (this.remembered.size >= MAX_REMEMBERED) this.remembered.clear();
    this.remembered.set(pairKey, now);
    this.remember(pairKey);
  }

  private remember(pairKey: string): void {
    this.pair.delete(pairKey).catch(() => undefined);
    this.known.set(pairKey, 1, this.knownLifetime).catch(() => undefined);
  }

  async reserve(attempt: LoginAttempt): Promise<Reservation> {
    const { pairKey, counters } = await this.counters(attempt);
    const taken: Array<[RateLimiterAbstract, string]> = [];
    let exhausted = false;
    for (const [counter, key] of counters) {
      try {
        const res = await counter.consume(key);
        taken.push([counter, key]);
        if (res.remainingPoints === 0) exhausted = true;
      } catch (res) {
        // Over a limit: nothing of this attempt stays counted.
        await Promise.all(taken.map(([c, k]) => c.reward(k).catch(() => undefined)));
        return { allowed: false, retryAfter: secondsUntil(res), exhausted: true, succeeded: () => {}, release: () => {} };
      }
    }
    let settled = false;
    const refund = () => {
      if (settled) return;
      settled = true;
      for (const [c, k] of taken) c.reward(k).catch(() => undefined);
    };
    return {
      allowed: true,
      retryAfter: 0,
      exhausted,
      release: refund,
      succeeded: () => {
        refund();
        this.remember(pairKey);
      },
    };
  }
}
