/**
 * Issue 10, item 9: wrong secrets for a client whose secret an operator set (argon2id) must not amplify into
 * unbounded hashing. Client-secret verifications have their own bounded queue with a per-client share, so a
 * flood is refused with 503 temporarily_unavailable + Retry-After, and a password sign-in meanwhile stays fast.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, createDeployment, DEMO_SECRET, DIALECTS, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { basic, postForm } from '../helpers/http.js';
import { attempt, openLogin, signedIn } from '../helpers/login.js';

const pg = await postgresAvailable();
/** Upper bounds of the flood; it runs while the sign-ins are measured. */
const FLOOD = 3000;
const CONCURRENCY = 24;

describe.each(DIALECTS)('argon2id amplification (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let srv: ServerProcess;
  beforeAll(async () => {
    if (skip) return;
    // The failed-authentication limit would answer most of this flood with 429 (shared-limits.test.ts); this
    // test is about the verification queue behind it, as a distributed flood would reach it.
    dep = await createDeployment(dialect, { server: { trustProxy: true }, auth: { clientAuthRateLimit: { perClientAndIp: 100_000, perIp: 100_000, perClient: 100_000 } } });
    srv = await dep.serve();
  });
  afterAll(async () => dep?.cleanup());

  const token = (secret: string) =>
    postForm(`${srv.url}/oauth/token`, { grant_type: 'client_credentials', scope: 'api:read' }, { authorization: basic('demo-client', secret) });

  const signInMs = async (ip: string) => {
    const a = await attempt(await openLogin(srv.url), ip, 'admin@example.com', ADMIN_PASSWORD);
    expect(signedIn(a), `${a.status} ${a.message}`).toBe(true);
    return a.ms;
  };

  it.skipIf(skip)('a flood of wrong secrets gets 401 or 503, never 500, and a sign-in meanwhile completes quickly', async () => {
    const baseline = Math.max(await signInMs('192.0.2.10'), await signInMs('192.0.2.11'));
    const statuses: Record<number, number> = {};
    let retryAfterOk = true;
    let bodiesOk = true;
    let next = 0;
    let done = false;
    const deadline = Date.now() + 30_000;
    const worker = async () => {
      while (!done && next < FLOOD && Date.now() < deadline) {
        next++;
        const r = await token(`wrong-secret-${next}`);
        statuses[r.status] = (statuses[r.status] ?? 0) + 1;
        if (r.status === 503 && Number(r.headers.get('retry-after')) < 1) retryAfterOk = false;
        const expected = r.status === 503 ? 'temporarily_unavailable' : 'invalid_client';
        if (r.json['error'] !== expected) bodiesOk = false;
      }
    };
    const flood = Promise.all(Array.from({ length: CONCURRENCY }, worker));
    // Let the flood fill the queue, then sign in while it runs.
    await new Promise((r) => setTimeout(r, 300));
    const during = [await signInMs('192.0.2.12'), await signInMs('192.0.2.13'), await signInMs('192.0.2.14')];
    done = true;
    await flood;
    console.info(`flood ${JSON.stringify(statuses)}; sign-in baseline ${baseline.toFixed(0)} ms, during ${during.map((m) => m.toFixed(0)).join('/')} ms`);

    expect(Object.keys(statuses).sort(), JSON.stringify(statuses)).toEqual(['401', '503']);
    expect(statuses[503]!, JSON.stringify(statuses)).toBeGreaterThan(statuses[401]!);
    expect(retryAfterOk).toBe(true);
    expect(bodiesOk).toBe(true);
    // Password verifications have their own pool: the flood costs them CPU share, never a place in its queue.
    const median = [...during].sort((a, b) => a - b)[1]!;
    expect(median, `baseline ${baseline.toFixed(0)} ms, during ${during.map((m) => m.toFixed(0)).join('/')} ms`).toBeLessThan(Math.max(2000, baseline * 4));

    // The queue drains: the right secret works at once after the flood.
    expect((await token(DEMO_SECRET)).status).toBe(200);
  }, 90_000);
});
