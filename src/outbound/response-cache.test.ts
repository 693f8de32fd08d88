import { describe, expect, it } from 'vitest';
import { freshnessSeconds, ResponseCache } from './response-cache.js';

const LIMITS = { maxEntries: 2, defaultSeconds: 300, maxSeconds: 3600, failureSeconds: 30 };

describe('ResponseCache', () => {
  it('follows Cache-Control within bounds', () => {
    expect(freshnessSeconds(undefined, LIMITS)).toBe(300);
    expect(freshnessSeconds('public, max-age=60', LIMITS)).toBe(60);
    expect(freshnessSeconds('max-age=999999', LIMITS)).toBe(3600);
    expect(freshnessSeconds('no-store', LIMITS)).toBe(0);
    expect(freshnessSeconds('max-age=60, no-cache', LIMITS)).toBe(0);
    expect(freshnessSeconds('max-age=abc', LIMITS)).toBe(300);
  });

  it('expires entries, evicts the least recently used, and remembers failures briefly', () => {
    const c = new ResponseCache(LIMITS);
    c.putValue('a', 1, 'max-age=10', 0);
    c.putValue('b', 2, undefined, 0);
    expect(c.get('a', 5_000)).toMatchObject({ value: 1 });
    c.putValue('c', 3, undefined, 0); // evicts b, the least recently used
    expect(c.get('b', 0)).toBeUndefined();
    expect(c.get('a', 10_000)).toBeUndefined();
    expect(c.get('c', 1_000, 500)).toBeUndefined(); // older than the caller accepts
    c.putFailure('d', new Error('x'), 0);
    expect(c.get('d', 29_000)).toMatchObject({ ok: false });
    expect(c.get('d', 31_000)).toBeUndefined();
  });
});
