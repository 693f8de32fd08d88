import { describe, expect, it } from 'vitest';
import { cachedScopeStore } from './cached-scope.store.js';
import type { ScopeDefinition, ScopeStore } from './scope.store.js';

const scope = (name: string): ScopeDefinition => ({ id: name, projectId: 'p', name, description: name, operatorOnly: false, createdAt: 0 });

function countingStore(defs: ScopeDefinition[]) {
  let reads = 0;
  let fail = false;
  const store = {
    async visibleTo() {
      reads++;
      if (fail) throw new Error('down');
      return [...defs];
    },
  } as unknown as ScopeStore;
  return { store, reads: () => reads, failNext: (f: boolean) => (fail = f) };
}

describe('cachedScopeStore', () => {
  it('serves reads within the TTL, reads again after it, and forget() drops entries', async () => {
    let now = 0;
    const s = countingStore([scope('a')]);
    const cache = cachedScopeStore(s.store, 1000, () => now);
    await cache.visibleTo('p');
    await cache.visibleTo('p');
    expect(s.reads()).toBe(1);
    now = 1000;
    await cache.visibleTo('p');
    expect(s.reads()).toBe(2);
    cache.forget();
    await cache.visibleTo('p');
    expect(s.reads()).toBe(3);
  });

  it('does not remember a failed read', async () => {
    const s = countingStore([scope('a')]);
    const cache = cachedScopeStore(s.store, 1000, () => 0);
    s.failNext(true);
    await expect(cache.visibleTo('p')).rejects.toThrow('down');
    s.failNext(false);
    expect((await cache.visibleTo('p')).map((x) => x.name)).toEqual(['a']);
    expect(s.reads()).toBe(2);
  });
});
