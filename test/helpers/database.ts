import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Db } from '../../src/storage/db.js';
import { migrateUp } from '../../src/storage/migrator.js';
import { PG_URL, dropSchema, uniqueSchema } from './postgres.js';
import type { Dialect } from './server.js';

export interface TestDb {
  db: Db;
  url: string;
  schema?: string | undefined;
  cleanup(): Promise<void>;
}

/** A fresh, migrated database: a temp SQLite file, or an own PostgreSQL schema. */
export async function testDatabase(dialect: Dialect, migrate = true): Promise<TestDb> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-db-'));
    const url = `sqlite:${join(dir, 'test.db')}`;
    const db = await openDatabase({ url, poolSize: 1 });
    if (migrate) await migrateUp(db);
    return { db, url, cleanup: async () => { await db.destroy(); rmSync(dir, { recursive: true, force: true }); } };
  }
  const schema = uniqueSchema('ghc');
  const db = await openDatabase({ url: PG_URL, poolSize: 4, schema });
  if (migrate) await migrateUp(db);
  return { db, url: PG_URL, schema, cleanup: async () => { await db.destroy(); await dropSchema(schema); } };
}
