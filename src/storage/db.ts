import { Kysely, sql } from 'kysely';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;

export interface DatabaseOptions {
  url: string;
  poolSize: number;
  schema?: string | undefined;
  /** `migrate` and `serve`: a PostgreSQL database that does not exist yet is created when the role may. */
  create?: boolean | undefined;
}

/** The PostgreSQL schema a handle works in (undefined for SQLite): the migrator must not look elsewhere. */
const schemas = new WeakMap<Db, string>();
export function schemaOf(db: Db): string | undefined {
  return schemas.get(db);
}

export class DatabaseUnavailable extends Error {
  override name = 'DatabaseUnavailable';
}

/** Opens the database chosen by the URL scheme and proves it is reachable. */
export async function openDatabase(options: DatabaseOptions): Promise<Db> {
  const isSqlite = options.url.startsWith('sqlite:');
  // Only the driver in use is loaded: a SQLite deployment never pays for pg's memory, nor PostgreSQL for SQLite's.
  const dialect = isSqlite
    ? (await import('./dialects/sqlite.js')).sqliteDialect(options.url)
    : (await import('./dialects/postgres.js')).postgresDialect(options);
  const db = new Kysely<Database>({ dialect });
  try {
    if (!isSqlite && options.schema) {
      await sql`create schema if not exists ${sql.id(options.schema)}`.execute(db);
    }
    await sql`select 1`.execute(db);
    if (!isSqlite) schemas.set(db, options.schema ?? 'public');
  } catch (err) {
    await db.destroy().catch(() => undefined);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === '3D000' && !isSqlite) {
      const { createMissingDatabase } = await import('./dialects/postgres.js');
      if (!options.create) {
        const name = new URL(options.url).pathname.slice(1);
        throw new DatabaseUnavailable(`database.url: database "${name}" does not exist; \`gatehouse migrate\` creates it (when the role may)`);
      }
      const refused = await createMissingDatabase(options.url);
      if (refused) throw new DatabaseUnavailable(`database.url: ${refused}`);
      return openDatabase({ ...options, create: false });
    }
    throw new DatabaseUnavailable(`database.url: cannot connect (${code ?? (err as Error).message})`);
  }
  return db;
}

export async function isReachable(db: Db): Promise<boolean> {
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}
