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
    expect(failures).toBe(PER_ACCOUNT);
    expect(Number(firstRefusal?.retryAfter)).toBeGreaterThanOrEqual(1);
    // Back-off: a fresh address is refused too, the right password included.
    const fresh = await signIn('198.51.100.200');
    expect(fresh.status).toBe(429);

    // The owner's known address is exempt from the account-wide counter.
    expect(signedIn(await signIn(VICTIM_IP))).toBe(true);
  });

  it.skipIf(skip)('the back-off grows exponentially past the account-wide limit', async () => {
    // Continues from the previous test's state: the account is past its account-wide limit.
    await new Promise((r) => setTimeout(r, 2100));
    const waits: number[] = [];
    const page = await openLogin(srv.url);
    for (let i = 0; i < 2; i++) {
      const a = await attempt(page, `198.51.100.${210 + i}`, ADMIN, 'wrong again');
      if (a.status === 401) {
        const next = await attempt(page, `198.51.100.${220 + i}`, ADMIN, 'wrong again');
        expect(next.status).toBe(429);
        waits.push(Number(next.retryAfter));
        await new Promise((r) => setTimeout(r, Number(next.retryAfter) * 1000 + 1100));
      }
    }
    expect(waits.length).toBe(2);
    for (let i = 1; i < waits.length; i++) expect(waits[i]).toBeGreaterThan(waits[i - 1]!);
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
