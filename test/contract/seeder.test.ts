import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createContainer, type Container } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { testDatabase, type TestDb } from '../helpers/database.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { DIALECTS } from '../helpers/server.js';

const pg = await postgresAvailable();

async function counts(t: TestDb) {
  const out: Record<string, number> = {};
  for (const table of ['users', 'user_identities', 'projects', 'project_members', 'oauth_clients', 'client_secrets', 'upstream_providers'] as const) {
    const r = await t.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    out[table] = Number(r.n);
  }
  return out;
}

function containerFor(t: TestDb, seeder: Record<string, unknown> = {}): Promise<Container> {
  const config = loadConfig({
    path: 'config.yaml',
    env: {},
    overrides: {
      database: { url: t.url, ...(t.schema ? { schema: t.schema } : {}) },
      auth: { sessionSecret: randomBytes(32).toString('hex') },
      security: { encryptionKey: randomBytes(32).toString('base64') },
      seeder,
    },
  });
  return createContainer(config);
}

describe.each(DIALECTS)('seeder (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let t: TestDb | undefined;
  let c: Container | undefined;
  afterEach(async () => {
    await c?.close();
    await t?.cleanup();
  });

  it.skipIf(skip)('is idempotent: a second run creates nothing', async () => {
    t = await testDatabase(dialect);
    c = await containerFor(t);
    const logs: string[] = [];
    const first = await c.seed((m) => logs.push(m));
    expect(first.generatedAdminPassword).toMatch(/^[\w-]{20,}$/);
    expect(first.demoClient?.clientSecret).toMatch(/^[\w-]{43}$/);
    const after1 = await counts(t);
    expect(after1).toMatchObject({ users: 1, user_identities: 1, projects: 1, project_members: 1, oauth_clients: 2, upstream_providers: 2 });
    const firstLogs = logs.splice(0);
    const second = await c.seed((m) => logs.push(m));
    expect(second.created).toEqual([]);
    expect(second.generatedAdminPassword).toBeUndefined();
    expect(await counts(t)).toEqual(after1);
    expect(logs.filter((l) => l.endsWith('already exists, skipping')).length).toBe(second.skipped.length);
    // No secret reaches the step log.
    expect(firstLogs.join('\n')).not.toContain(first.generatedAdminPassword);
    expect(firstLogs.join('\n')).not.toContain(first.demoClient?.clientSecret);
    // The default client cannot be deleted.
    await expect(c.clients.delete('00000000-0000-4000-8000-000000000001')).rejects.toThrow(/cannot be deleted/);
  });

  it.skipIf(skip)('a failure mid-way leaves no partial rows', async () => {
    t = await testDatabase(dialect);
    c = await containerFor(t, { demoClient: { redirectUris: ['http://not-loopback.example.com/cb'] } });
    await expect(c.seed(() => undefined)).rejects.toThrow(/redirect_uris/);
    // Only the default project remains: `gatehouse migrate` creates it (with its partitions), not the seeder.
    const { projects, ...rest } = await counts(t);
    expect(projects).toBe(1);
    expect(Object.values(rest).every((n) => n === 0)).toBe(true);
  });
});
