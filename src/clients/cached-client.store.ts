/**
 * A per-process read-through cache in front of the client store, for the token endpoint's two lookups
 * (client and live secrets) on every request. Entries live `ttlMs` (1 s by default); any write made through
 * this process drops the entry at once. It can only be stale in the permissive direction for at most the TTL
 * (a client deleted, or a secret expired, by another process); it never refuses what the database allows:
 * absence is not cached, and a failed secret check is retried against the database (client-auth.ts).
 * docs/SECURITY.md states this bound.
 */
import type { Client, ClientSecret } from './client.js';
import type { ClientStore } from './client.store.js';

const MAX_ENTRIES = 10_000;

interface Entry {
  at: number;
  client: Client | undefined;
  secrets?: ClientSecret[];
}

export function cachedClientStore(store: ClientStore, ttlMs = 1000, now: () => number = Date.now): ClientStore {
  const entries = new Map<string, Entry>();
  const fresh = (id: string) => {
    const e = entries.get(id);
    return e && now() - e.at < ttlMs ? e : undefined;
  };
  const drop = (id: string) => {
    entries.delete(id);
  };
  const remember = (id: string, e: Entry) => {
    if (entries.size >= MAX_ENTRIES) entries.clear();
    entries.set(id, e);
  };
  return {
    ...store,
    async find(clientId) {
      const hit = fresh(clientId);
      if (hit?.client) return hit.client;
      // Absence is never cached: a client created elsewhere works at once.
      const client = await store.find(clientId);
      if (client) remember(clientId, { at: now(), client });
      return client;
    },
    forget: drop,
    async secrets(clientId, at) {
      const hit = fresh(clientId);
      if (hit?.secrets) return hit.secrets.filter((s) => s.expiresAt === null || s.expiresAt > at);
      // Fetch every secret not yet expired now; filter by `at` on each read.
      const secrets = await store.secrets(clientId, at);
      const client = hit?.client ?? (await store.find(clientId));
      if (client) remember(clientId, { at: now(), client, secrets });
      return secrets;
    },
    async insert(c) {
      drop(c.clientId);
      await store.insert(c);
    },
    async update(c) {
      drop(c.clientId);
      await store.update(c);
    },
    async delete(clientId) {
      drop(clientId);
      return store.delete(clientId);
    },
    async addSecret(s) {
      drop(s.clientId);
      await store.addSecret(s);
    },
    async expireSecrets(clientId, keep, expiresAt) {
      drop(clientId);
      await store.expireSecrets(clientId, keep, expiresAt);
    },
  };
}
