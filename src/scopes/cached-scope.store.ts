/**
 * A per-process read-through cache of the scope registry's one hot read (`visibleTo`), for the authorization
 * path only (which scopes are operator-only, consent descriptions): every authorization request reads it.
 * Entries live `ttlMs` (1 s by default); a registry change through this process drops them at once, one made by
 * another process shows here within the TTL. The registry reads the store itself when the cache does not know
 * a scope it is asked about, and for registration checks, so a new scope is never misread; a scope is deleted
 * only when no client holds it and `operator_only` never changes after creation. The one stale case left is an
 * operator deleting a scope and creating it again, with another `operator_only`, within the TTL on another node.
 */
import type { ScopeDefinition, ScopeStore } from './scope.store.js';

const MAX_ENTRIES = 10_000;

export interface CachedScopeStore extends Pick<ScopeStore, 'visibleTo'> {
  /** Drops every entry (after a registry change committed in a transaction of its own stores). */
  forget(): void;
}

export function cachedScopeStore(store: ScopeStore, ttlMs = 1000, now: () => number = Date.now): CachedScopeStore {
  const entries = new Map<string, { at: number; scopes: Promise<ScopeDefinition[]> }>();
  return {
    visibleTo(projectId) {
      const hit = entries.get(projectId);
      if (hit && now() - hit.at < ttlMs) return hit.scopes;
      if (entries.size >= MAX_ENTRIES) entries.clear();
      const scopes = store.visibleTo(projectId);
      entries.set(projectId, { at: now(), scopes });
      // A failed read is not remembered.
      scopes.catch(() => entries.delete(projectId));
      return scopes;
    },
    forget() {
      entries.clear();
    },
  };
}
