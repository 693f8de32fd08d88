/**
 * The optional Redis connection (`redis.url`) that makes limits and replay caches shared by every node. Redis is
 * never required to serve: while it is unreachable each node falls back to its own in-memory limits and to the
 * database-backed replay checks, and says so (log line on each change, `/readyz` detail, a metrics gauge).
 */
import { Redis } from 'ioredis';

export type SharedStoreStatus = 'ok' | 'unavailable';

export interface SharedStore {
  readonly client: Redis;
  readonly keyPrefix: string;
  status(): SharedStoreStatus;
  /** Called on each change of status (and not before the first connection attempt settles). */
  onStatus(listener: (status: SharedStoreStatus, reason?: string) => void): void;
  close(): Promise<void>;
}

export function connectSharedStore(url: string, keyPrefix: string): SharedStore {
  const client = new Redis(url, {
    // Fail fast instead of queueing: a limiter that waits for Redis would stall the request it protects.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    lazyConnect: false,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  let status: SharedStoreStatus = 'unavailable';
  const listeners: Array<(s: SharedStoreStatus, reason?: string) => void> = [];
  const set = (next: SharedStoreStatus, reason?: string) => {
    if (next === status) return;
    status = next;
    for (const l of listeners) l(next, reason);
  };
  client.on('ready', () => set('ok'));
  client.on('error', (err: Error) => set('unavailable', err.message));
  client.on('close', () => set('unavailable', 'connection closed'));
  return {
    client,
    keyPrefix,
    status: () => (client.status === 'ready' ? 'ok' : status === 'ok' ? 'unavailable' : status),
    onStatus: (l) => listeners.push(l),
    async close() {
      client.removeAllListeners('error');
      client.on('error', () => undefined);
      await client.quit().catch(() => client.disconnect());
    },
  };
}
