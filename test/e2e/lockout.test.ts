/**
 * Issue 10, item 2: failures from elsewhere must not lock an account's owner out (docs/SECURITY.md, "Sign-in
 * throttling"). Limits: 5 per (account, IP), 20 per IP, 50 per account from addresses that have not signed in
 * to it, then exponential back-off. The account here is the superadmin.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, createDeployment, DIALECTS, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { attempt, openLogin, signedIn, tally, type Attempt } from '../helpers/login.js';

const pg = await postgresAvailable();
const ADMIN = 'admin@example.com';
const VICTIM_IP = '192.0.2.1';
const PER_PAIR = 5;
const PER_ACCOUNT = 50;
const PER_IP = 20;

describe.each(DIALECTS)('lockout is not a denial of service (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let srv: ServerProcess;
  beforeAll(async () => {
    if (skip) return;
    dep = await createDeployment(dialect, { server: { trustProxy: true } });
    srv = await dep.serve();
  });
  afterAll(async () => dep?.cleanup());

  const signIn = async (ip: string) => attempt(await openLogin(srv.url), ip, ADMIN, ADMIN_PASSWORD);

  it.skipIf(skip)('an attacker is limited after 5; the owner still signs in from a known address, even past the account-wide limit', async () => {
    expect(signedIn(await signIn(VICTIM_IP))).toBe(true);

    // One attacker address: 20 wrong passwords, 5 verified, then 429.
    const page = await openLogin(srv.url);
    const attacker: Attempt[] = [];
    for (let i = 0; i < 20; i++) attacker.push(await attempt(page, '198.51.100.1', ADMIN, `wrong ${i}`));
    expect(tally(attacker)).toEqual({ 401: PER_PAIR, 429: 20 - PER_PAIR });
    expect(signedIn(await signIn(VICTIM_IP))).toBe(true);

    // Many attacker addresses, 4 guesses each: the account-wide limit engages only at 50 failures.
    let failures = PER_PAIR;
    let firstRefusal: Attempt | undefined;
    for (let n = 2; !firstRefusal && n < 40; n++) {
      const from = `198.51.100.${n}`;
      for (let i = 0; i < PER_PAIR - 1; i++) {
        const a = await attempt(page, from, ADMIN, `wrong ${n}.${i}`);
        if (a.status === 429) {
          firstRefusal = a;
          break;
        }
        expect(a.status).toBe(401);
        failures++;
      }
    }
    // A slow machine may land an attempt after the first 1 s back-off ended; each such one counts.
    expect(failures).toBeGreaterThanOrEqual(PER_ACCOUNT);
    expect(failures).toBeLessThanOrEqual(PER_ACCOUNT + 2);

    // Past the limit, each failure that waited out its back-off doubles the next one.
    const waits = [Number(firstRefusal!.retryAfter)];
    for (let n = 100; waits.at(-1)! < 4 && n < 110; n += 2) {
      expect(waits.at(-1)).toBeGreaterThanOrEqual(1);
      await new Promise((r) => setTimeout(r, waits.at(-1)! * 1000 + 50));
      expect((await attempt(page, `198.51.100.${n}`, ADMIN, 'wrong again')).status).toBe(401);
      const refused = await attempt(page, `198.51.100.${n + 1}`, ADMIN, 'wrong again');
      expect(refused.status).toBe(429);
      waits.push(Number(refused.retryAfter));
    }
    expect(waits.at(-1)).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < waits.length; i++) expect(waits[i]).toBeGreaterThanOrEqual(waits[i - 1]!);

    // During the back-off a fresh address is refused, the right password included…
    expect((await attempt(page, '198.51.100.200', ADMIN, ADMIN_PASSWORD)).status).toBe(429);
    // …but the owner's known address is exempt from the account-wide counter.
    expect(signedIn(await signIn(VICTIM_IP))).toBe(true);
  }, 60_000);

  it.skipIf(skip)('one address guessing across many accounts is limited at 20 failures', async () => {
    const page = await openLogin(srv.url);
    const results: Attempt[] = [];
    for (let i = 0; i < PER_IP + 3; i++) results.push(await attempt(page, '203.0.113.50', `user${i}@example.test`, 'guess'));
    expect(tally(results)).toEqual({ 401: PER_IP, 429: 3 });
    // Another address is unaffected.
    expect((await attempt(page, '203.0.113.51', 'user0@example.test', 'guess')).status).toBe(401);
  });
});
