/** The in-process sign-in throttle (issue 10, items 1 and 2), on a frozen clock. */
import { describe, expect, it } from 'vitest';
import { MemoryLoginThrottle } from './login-rate-limiter.js';

const LIMITS = { perAccountAndIp: 3, perIp: 10, perAccount: 6, window: 900, maxBackoff: 60, knownAddressLifetime: 86_400 };

function throttle() {
  const clock = { t: 1_800_000_000, now: () => clock.t };
  return { clock, t: new MemoryLoginThrottle(LIMITS, clock) };
}

describe('MemoryLoginThrottle', () => {
  it('counts a reservation before it settles, so concurrent attempts cannot pass the limit', async () => {
    const { t } = throttle();
    const all = await Promise.all(Array.from({ length: 10 }, () => t.reserve({ account: 'A@x.test', ip: '1.1.1.1' })));
    expect(all.filter((r) => r.allowed).length).toBe(3);
    expect(all.at(-1)!.retryAfter).toBe(900);
  });

  it('a success refunds its slot and clears the address; a release refunds without clearing', async () => {
    const { t } = throttle();
    const at = { account: 'a@x.test', ip: '1.1.1.1' };
    for (let i = 0; i < 2; i++) await t.reserve(at);
    (await t.reserve(at)).release();
    (await t.reserve(at)).succeeded();
    for (let i = 0; i < 3; i++) expect((await t.reserve(at)).allowed).toBe(true);
    expect((await t.reserve(at)).allowed).toBe(false);
  });

  it('the account-wide limit backs off exponentially, and a known address is exempt from it', async () => {
    const { t, clock } = throttle();
    (await t.reserve({ account: 'a@x.test', ip: 'known' })).succeeded();
    for (let i = 0; i < 6; i++) expect((await t.reserve({ account: 'a@x.test', ip: `10.0.0.${i}` })).allowed).toBe(true);
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      const refused = await t.reserve({ account: 'a@x.test', ip: `10.0.1.${i}` });
      expect(refused.allowed).toBe(false);
      waits.push(refused.retryAfter);
      clock.t += refused.retryAfter;
      expect((await t.reserve({ account: 'a@x.test', ip: `10.0.2.${i}` })).allowed).toBe(true);
    }
    expect(waits).toEqual([1, 2, 4, 8]);
    expect((await t.reserve({ account: 'a@x.test', ip: 'known' })).allowed).toBe(true);
    // The back-off is capped, and the counter is forgotten a window after the last failure.
    clock.t += 16;
    for (let i = 0; i < 4; i++) {
      await t.reserve({ account: 'a@x.test', ip: `10.0.3.${i}` });
      clock.t += 61;
    }
    expect((await t.reserve({ account: 'a@x.test', ip: '10.0.4.1' })).allowed).toBe(true);
    expect((await t.reserve({ account: 'a@x.test', ip: '10.0.4.2' })).retryAfter).toBe(60);
    clock.t += 901;
    expect((await t.reserve({ account: 'a@x.test', ip: '10.0.4.3' })).allowed).toBe(true);
  });
});
