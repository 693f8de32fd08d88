import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DpopNonces } from './nonce.js';

const clock = (t: number) => ({ t, now() { return this.t; } });

describe('DPoP nonces (RFC 9449 §8, derived per window)', () => {
  const secret = randomBytes(32);

  it('every node with the same key mints the same nonce in a window; the previous window is still accepted, not older', () => {
    const c = clock(1_000_000);
    const a = new DpopNonces(secret, 300, c);
    const b = new DpopNonces(secret, 300, clock(1_000_000));
    const n = a.current();
    expect(n).toMatch(/^[\w-]{22}$/);
    expect(b.current()).toBe(n);
    expect(b.accepts(n)).toBe(true);
    c.t += 300;
    expect(a.current()).not.toBe(n);
    expect(a.accepts(n)).toBe(true);
    c.t += 300;
    expect(a.accepts(n)).toBe(false);
  });

  it('another key, or a garbage value, is refused', () => {
    const c = clock(5_000);
    expect(new DpopNonces(randomBytes(32), 300, c).accepts(new DpopNonces(secret, 300, c).current())).toBe(false);
    expect(new DpopNonces(secret, 300, c).accepts('')).toBe(false);
    expect(new DpopNonces(secret, 300, c).accepts('x'.repeat(22))).toBe(false);
  });
});
