import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeployment, DIALECTS, freePort, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { basic, postForm } from '../helpers/http.js';
import { DEMO_SECRET } from '../helpers/server.js';
import { createLocalJWKSet, jwtVerify } from 'jose';

const pg = await postgresAvailable();

const jwks = async (url: string) => (await fetch(`${url}/jwks.json`)).text();

async function until(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('condition not reached in time');
}

describe.each(DIALECTS)('signing keys across processes (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let dep: Deployment;
  let a: ServerProcess;
  let b: ServerProcess;
  beforeAll(async () => {
    if (skip) return;
    dep = await createDeployment(dialect, { security: { accessTokenAlg: 'ES256', keyRefreshInterval: 1 } });
    [a, b] = [await dep.serve(), await dep.serve(await freePort())];
  });
  afterAll(async () => dep?.cleanup());

  it.skipIf(skip)('two serve processes publish identical JWKS before and after `gatehouse keys rotate`', async () => {
    const before = await jwks(a.url);
    expect(await jwks(b.url)).toBe(before);
    const kidsBefore = (JSON.parse(before) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);

    const token = async (url: string) =>
      (await postForm(`${url}/oauth/token`, { grant_type: 'client_credentials', scope: 'api:read' }, { authorization: basic('demo-client', DEMO_SECRET) })).json['access_token'] as string;
    const oldToken = await token(a.url);

    // --force: the next key is seconds old (key-rotation-safety.test.ts covers the wait).
    const rotated = await dep.cli(['keys', 'rotate', '--force', '--json']);
    expect(rotated.code, rotated.stderr).toBe(0);
    const result = JSON.parse(rotated.stdout) as Array<{ alg: string; active: string; retired: string }>;
    const es = result.find((r) => r.alg === 'ES256')!;
    expect(kidsBefore).toContain(es.active); // published before it signs anything

    await until(async () => (await jwks(a.url)) === (await jwks(b.url)) && (await jwks(a.url)) !== before);
    const after = JSON.parse(await jwks(a.url)) as { keys: Array<{ kid: string }> };
    expect(after.keys.map((k) => k.kid)).toContain(es.retired); // the old key stays published

    // Tokens from before and after the rotation both verify against the new JWKS, and new ones use the new key.
    const set = createLocalJWKSet(after as never);
    await jwtVerify(oldToken, set);
    await until(async () => JSON.parse(Buffer.from((await token(b.url)).split('.')[0]!, 'base64url').toString()).kid === es.active);
    await jwtVerify(await token(b.url), set);
  });

  it.skipIf(skip)('keys list and export-public show only public material', async () => {
    const list = await dep.cli(['keys', 'list', '--json']);
    expect(JSON.parse(list.stdout).some((k: { state: string }) => k.state === 'active')).toBe(true);
    const exported = await dep.cli(['keys', 'export-public']);
    const keys = (JSON.parse(exported.stdout) as { keys: Array<Record<string, unknown>> }).keys;
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) expect(k['d']).toBeUndefined();
  });
});
