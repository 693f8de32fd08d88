/**
 * One-time identifiers (client-assertion `jti`s) checked in Redis first (`SET key NX EX ttl`): a replay that any
 * node has seen is refused there, without touching the database. A first use is still recorded in the database,
 * which stays the authority: Redis may lose keys (a restart without persistence, an eviction), and a one-time
 * value must never become reusable because of that. When Redis cannot answer, the database alone decides.
 * DPoP proof jtis (src/dpop/) go through the same guard under their own key namespace.
 */
import type { SharedStore } from './shared-store.js';

export interface ReplayGuard {
  /** True for the first use of `jtiHash` until `expiresAt`; false for every later one. */
  useAssertionJti(jtiHash: string, expiresAt: number, now: number): Promise<boolean>;
}

export class SharedReplayGuard implements ReplayGuard {
  private readonly store: SharedStore;
  private readonly fallback: ReplayGuard;
  private readonly namespace: string;

  constructor(store: SharedStore, fallback: ReplayGuard, namespace = 'jti') {
    this.store = store;
    this.fallback = fallback;
    this.namespace = namespace;
  }

  async useAssertionJti(jtiHash: string, expiresAt: number, now: number): Promise<boolean> {
    if (this.store.status() !== 'ok') return this.fallback.useAssertionJti(jtiHash, expiresAt, now);
    try {
      const ttl = Math.max(1, expiresAt - now);
      const first = (await this.store.client.set(`${this.store.keyPrefix}${this.namespace}:${jtiHash}`, '1', 'EX', ttl, 'NX')) === 'OK';
      if (!first) return false;
    } catch {
      // Redis failed mid-call: the database decides below.
    }
    return this.fallback.useAssertionJti(jtiHash, expiresAt, now);
  }
}
