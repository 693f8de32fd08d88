/**
 * Issue 13 (Redis): with `redis.url` set, N nodes enforce one limit — the sign-in limit and the failed
 * client-authentication limit hold across two `gatehouse serve` processes on one database. A Redis of the test's
 * own (redis-server on a free port, nothing on disk) is stopped mid-test: both nodes keep serving with per-node
 * limits, and `/readyz` and `/metrics` say so.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, createDeployment, DEMO_SECRET, DIALECTS, freePort, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { attempt, openLogin, tally } from '../helpers/login.js';
import { basic, postForm } from '../helpers/http.js';

const pg = await postgresAvailable();
const LIMIT = 4;

async function startRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const proc: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((res, rej) => {
    let out = '';
    const t = setTimeout(() => rej(new Error(`redis-server did not start: ${out}`)), 10_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(t);
        res();
      }
    });
    proc.on('exit', () => rej(new Error(`redis-server exited: ${out}`)));
  });
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));
  return { url: `redis://127.0.0.1:${port}`, stop: async () => (proc.kill('SIGKILL'), await exited) };
}

describe.each(DIALECTS)('limits shared by two nodes through Redis (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let dep: Deployment;
  let a: ServerProcess;
  let b: ServerProcess;
  beforeAll(async () => {
    if (skip) return;
    redis = await startRedis();
    dep = await createDeployment(dialect, {
      server: { trustProxy: true },
      redis: { url: redis.url, keyPrefix: `gatehouse-test-${dialect}:` },
      auth: {
        loginRateLimit: { perAccountAndIp: LIMIT, perIp: 1000, perAccount: 1000 },
        clientAuthRateLimit: { perClientAndIp: LIMIT, perIp: 1000, perClient: 1000 },
      },
    });
    a = await dep.serve();
    b = await dep.serve(await freePort());
  }, 60_000);
  afterAll(async () => {
    await dep?.cleanup();
    await redis?.stop();
  });

  const wrongSecret = (srv: ServerProcess, ip: string) =>
    postForm(`${srv.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic('demo-client', 'not-the-secret'), 'x-forwarded-for': ip });

  it.skipIf(skip)('the sign-in limit counts attempts on both nodes together', async () => {
    const pages = [await openLogin(a.url), await openLogin(b.url)];
    const ip = '198.51.100.7';
    const results = [];
    for (let i = 0; i < 3 * LIMIT; i++) results.push(await attempt(pages[i % 2]!, ip, 'admin@example.com', `wrong ${i}`));
    const counts = tally(results);
    expect(counts[429], JSON.stringify(counts)).toBe(2 * LIMIT); // per node it would be 2 × LIMIT verified
    expect(results.filter((r) => r.status !== 429)).toHaveLength(LIMIT);
    // The right password from the same address waits too, on either node.
    expect((await attempt(pages[1]!, ip, 'admin@example.com', ADMIN_PASSWORD)).status).toBe(429);
  });

  it.skipIf(skip)('the failed client-authentication limit counts both nodes together; 429 with Retry-After in the OAuth format', async () => {
    const ip = '198.51.100.8';
    const results = [];
    for (let i = 0; i < 3 * LIMIT; i++) results.push(await wrongSecret(i % 2 ? b : a, ip));
    expect(results.filter((r) => r.status === 401)).toHaveLength(LIMIT);
    const limited = results.filter((r) => r.status === 429);
    expect(limited).toHaveLength(2 * LIMIT);
    expect(limited[0]!.json['error']).toBe('too_many_requests');
    expect(Number(limited[0]!.headers.get('retry-after'))).toBeGreaterThan(0);
    // Introspection and revocation share the limit.
    expect((await postForm(`${b.url}/oauth/introspect`, { token: 'x' }, { authorization: basic('demo-client', DEMO_SECRET), 'x-forwarded-for': ip })).status).toBe(429);
    // Another address is not affected.
    expect((await postForm(`${a.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic('demo-client', DEMO_SECRET), 'x-forwarded-for': '198.51.100.9' })).status).toBe(200);
    for (const node of [a, b]) expect(await (await fetch(`${node.url}/readyz`)).json()).toEqual({ status: 'ok', redis: 'ok' });
  });

  it.skipIf(skip)('Redis stopped: both nodes keep serving with per-node limits and say degraded', async () => {
    await redis.stop();
    await new Promise((r) => setTimeout(r, 500));
    for (const node of [a, b]) {
      const ready = await fetch(`${node.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ok', redis: 'degraded: limits are per node' });
      const ok = await postForm(`${node.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic('demo-client', DEMO_SECRET), 'x-forwarded-for': '198.51.100.20' });
      expect(ok.status).toBe(200);
      const metrics = await (await fetch(`${node.url}/metrics`)).text();
      expect(metrics).toMatch(/^gatehouse_redis_up 0$/m);
    }
    // Each node now limits on its own: LIMIT failures per node before 429.
    const ip = '198.51.100.21';
    const onA = [];
    for (let i = 0; i < LIMIT + 1; i++) onA.push((await wrongSecret(a, ip)).status);
    expect(onA).toEqual([...Array(LIMIT).fill(401), 429]);
    expect((await wrongSecret(b, ip)).status).toBe(401);
    expect(a.output()).toContain('redis unavailable: limits are per node until it answers again');
  });
});

describe('failed client authentication without Redis (one node, sqlite)', () => {
  let dep: Deployment;
  let srv: ServerProcess;
  beforeAll(async () => {
    dep = await createDeployment('sqlite', { server: { trustProxy: true } });
    srv = await dep.serve();
  }, 60_000);
  afterAll(async () => dep?.cleanup());

  it('10 failures per client and address (the default), then 429 at every client-authenticating endpoint; the client keeps working from its own address', async () => {
    const attacker = '203.0.113.50';
    const statuses = [];
    for (let i = 0; i < 12; i++) {
      statuses.push((await postForm(`${srv.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic('demo-client', `guess-${i}`), 'x-forwarded-for': attacker })).status);
    }
    expect(statuses).toEqual([...Array(10).fill(401), 429, 429]);
    const revoke = await postForm(`${srv.url}/oauth/revoke`, { token: 'x' }, { authorization: basic('demo-client', DEMO_SECRET), 'x-forwarded-for': attacker });
    expect(revoke.status).toBe(429);
    expect(revoke.json['error']).toBe('too_many_requests');
    const owner = await postForm(`${srv.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic('demo-client', DEMO_SECRET), 'x-forwarded-for': '192.0.2.60' });
    expect(owner.status).toBe(200);
    expect(await (await fetch(`${srv.url}/readyz`)).json()).toEqual({ status: 'ok' });
  });

  it('a burst of distinct guesses in flight together gets at most 10 checked (401) in all; a burst of the right secret is never limited', async () => {
    const attacker = '203.0.113.51';
    const guesses = await Promise.all(
      Array.from({ length: 40 }, (_, i) => postForm(`${srv.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic('demo-client', `burst-${i}`), 'x-forwarded-for': attacker })),
    );
    const statuses = guesses.map((r) => r.status);
    // Refused before any hash (429) or by the busy hashing queue (503, refunded); never more than 10 checked.
    expect(statuses.filter((s) => s !== 401 && s !== 429 && s !== 503)).toEqual([]);
    for (let i = 0; i < 20 && statuses.at(-1) !== 429; i++) {
      statuses.push((await postForm(`${srv.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic('demo-client', `after-${i}`), 'x-forwarded-for': attacker })).status);
    }
    expect(statuses.filter((s) => s === 401), JSON.stringify(statuses)).toHaveLength(10);
    expect(statuses.at(-1)).toBe(429);
    const owner = await Promise.all(
      Array.from({ length: 60 }, () => postForm(`${srv.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic('demo-client', DEMO_SECRET), 'x-forwarded-for': '192.0.2.61' })),
    );
    expect(owner.map((r) => r.status)).toEqual(Array(60).fill(200));
  });

  it('registration endpoints: wrong initial and registration access tokens are limited the same way; the right ones work elsewhere', async () => {
    const IAT = 'test-initial-access-token-0123456789';
    const register = (token: string, ip: string) =>
      fetch(`${srv.url}/oauth/register`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-forwarded-for': ip },
        body: JSON.stringify({ client_name: 'Svc', grant_types: ['client_credentials'] }),
      });
    const guesser = '203.0.113.70';
    const statuses = [];
    for (let i = 0; i < 12; i++) statuses.push((await register(`guess-${i}`, guesser)).status);
    expect(statuses).toEqual([...Array(10).fill(401), 429, 429]);
    const limited = await register(IAT, guesser);
    expect(limited.status).toBe(429);
    expect(await limited.json()).toMatchObject({ error: 'too_many_requests' });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    const created = await register(IAT, '192.0.2.70');
    expect(created.status).toBe(201);
    const meta = (await created.json()) as Record<string, string>;
    const uri = meta['registration_client_uri']!.replace(dep.issuer, srv.url);
    const read = (token: string, ip: string) => fetch(uri, { headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': ip } });
    const reads = [];
    for (let i = 0; i < 11; i++) reads.push((await read(`guess-${i}`, '203.0.113.71')).status);
    expect(reads).toEqual([...Array(10).fill(401), 429]);
    expect((await read(meta['registration_access_token']!, '203.0.113.71')).status).toBe(429);
    expect((await read(meta['registration_access_token']!, '192.0.2.70')).status).toBe(200);
  });
});
