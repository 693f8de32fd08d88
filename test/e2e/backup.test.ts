/**
 * Issue 13 (backups): `gatehouse backup` takes a consistent online copy of a SQLite deployment while it is being
 * written to, and `gatehouse restore` puts it back — refusing while a server has the database open. Every
 * registration answered before the backup started is in the restored database. PostgreSQL is backed up with
 * pg_dump; the command says so, with the exact command and without the password.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeployment, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { json } from '../helpers/http.js';

const pg = await postgresAvailable();
const INITIAL = 'test-initial-access-token-0123456789';

describe('backup and restore (sqlite)', () => {
  let dep: Deployment;
  let srv: ServerProcess;
  beforeAll(async () => {
    dep = await createDeployment('sqlite');
    srv = await dep.serve();
  }, 60_000);
  afterAll(async () => dep?.cleanup());

  const register = async (name: string) => {
    const res = await json(`${srv.url}/oauth/register`, {
      method: 'POST',
      headers: { authorization: `Bearer ${INITIAL}` },
      body: JSON.stringify({ client_name: name, redirect_uris: ['https://app.example.com/cb'], token_endpoint_auth_method: 'none', grant_types: ['authorization_code'], response_types: ['code'], scope: 'openid' }),
    });
    return res.status === 201 ? String(res.json['client_id']) : undefined;
  };

  it('a backup under write load holds every committed registration; restore refuses while serving and brings them back', async () => {
    const committed: string[] = [];
    let writing = true;
    // Two writers registering clients for as long as the backup runs (bounded: at most 400 each).
    const writers = [0, 1].map(async (w) => {
      for (let i = 0; i < 400 && writing; i++) {
        const id = await register(`load-${w}-${i}`);
        if (id) committed.push(id);
      }
    });
    while (committed.length < 40) await new Promise((r) => setTimeout(r, 20));
    const beforeBackup = [...committed];
    const file = join(dep.dir, 'backup.db');
    const backup = await dep.cli(['backup', file]);
    writing = false;
    await Promise.all(writers);
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stdout).toMatch(/^backed up \d+ page\(s\), \d+ bytes, to /);
    expect(existsSync(`${file}.partial`)).toBe(false);
    expect(committed.length).toBeGreaterThan(beforeBackup.length); // the server kept writing meanwhile

    // A second backup to the same name would overwrite the first: refused.
    const again = await dep.cli(['backup', file]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists');

    // Restoring under a running server would corrupt what it serves.
    const busy = await dep.cli(['restore', file]);
    expect(busy.code).toBe(1);
    expect(busy.stderr.trim()).toMatch(/is in use: stop `gatehouse serve` \(every node\) before restoring$/);

    await srv.stop();
    const restored = await dep.cli(['restore', file]);
    expect(restored.code, restored.stderr).toBe(0);
    srv = await dep.serve();
    const listed = await dep.cli(['clients', 'list', '--json']);
    const ids = new Set((JSON.parse(listed.stdout) as Array<{ client_id: string }>).map((c) => c.client_id));
    for (const id of beforeBackup) expect(ids.has(id), id).toBe(true);
    // The restored database serves and takes new writes.
    expect(await register('after-restore')).toBeTypeOf('string');
  });

  it('refuses what is not a Gatehouse database, and a missing file, with one line', async () => {
    const notDb = join(dep.dir, 'config.yaml');
    const r1 = await dep.cli(['restore', notDb]);
    expect(r1.code).toBe(1);
    expect(r1.stderr.trim().split('\n')).toHaveLength(1);
    expect(r1.stderr).toContain('is not a readable SQLite database');
    const r2 = await dep.cli(['restore', join(dep.dir, 'nope.db')]);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain('does not exist');
    const r3 = await dep.cli(['backup']);
    expect(r3.code).toBe(2);
    expect(r3.stderr).toContain('usage: gatehouse backup FILE');
  });
});

describe.skipIf(!pg)('backup (postgres)', () => {
  it('prints the pg_dump command for the deployment, never its password', async () => {
    const dep = await createDeployment('postgres', { database: { url: 'postgres://postgres:hunter2-not-logged@127.0.0.1:5432/test' } }).catch(() => undefined);
    // The trust-auth cluster ignores the password; the deployment exists only to hold a config with one.
    try {
      if (!dep) return;
      const res = await dep.cli(['backup', '/tmp/gatehouse.dump']);
      expect(res.code).toBe(1);
      expect(res.stderr).toContain('pg_dump --format=custom --schema=');
      expect(res.stderr).toContain("postgres://postgres:****@127.0.0.1:5432/test");
      expect(res.stderr).not.toContain('hunter2');
    } finally {
      await dep?.cleanup();
    }
  });
});
