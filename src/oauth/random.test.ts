import { describe, expect, it } from 'vitest';
import { randomToken } from './random.js';

describe('randomToken', () => {
  it('gives URL-safe tokens of the asked entropy, never the same twice, across pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const t = randomToken(32);
      expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(seen.has(t)).toBe(false);
      seen.add(t);
    }
    expect(randomToken(16)).toHaveLength(22);
    expect(randomToken(5000)).toHaveLength(6667);
  });

  it('has no visible bias in its bytes', () => {
    const counts = new Array<number>(64).fill(0);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (let i = 0; i < 3000; i++) for (const c of randomToken(30)) counts[alphabet.indexOf(c)]!++;
    const mean = (3000 * 40) / 64;
    for (const n of counts) expect(Math.abs(n - mean) / mean).toBeLessThan(0.1);
  });
});
