import pg from 'pg';
import {
  PostgresDialect,
  sql,
  type DatabaseIntrospector,
  type DatabaseMetadata,
  type Dialect,
  type Kysely,
  type SchemaMetadata,
  type TableMetadata,
} from 'kysely';

// bigint columns hold epoch seconds, well inside Number's safe range.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export interface PostgresOptions {
  url: string;
  poolSize: number;
  /** Own schema per deployment or test run; created on first connect. */
  schema?: string | undefined;
}

/**
 * Kysely's stock introspector reads every column of every schema and calls pg_get_serial_sequence on each;
 * a table dropped in another schema meanwhile (another deployment migrating down, a test cleaning up) makes
 * that call fail with "relation … does not exist". The migrator only asks whether its own tables exist, so
 * this one answers from our schema alone.
 */
class SchemaScopedIntrospector implements DatabaseIntrospector {
  readonly #db: Kysely<unknown>;
  readonly #schema: string;
  constructor(db: Kysely<unknown>, schema: string) {
    this.#db = db;
    this.#schema = schema;
  }

  async getSchemas(): Promise<SchemaMetadata[]> {
    const rows = await sql<{ name: string }>`select nspname as name from pg_catalog.pg_namespace`.execute(this.#db);
    return rows.rows.map((r) => ({ name: r.name }));
  }

  async getTables(): Promise<TableMetadata[]> {
    const rows = await sql<{ name: string; type: string }>`
      select table_name as name, table_type as type from information_schema.tables
      where table_schema = ${this.#schema} order by table_name`.execute(this.#db);
    return rows.rows.map((r) => ({ name: r.name, schema: this.#schema, isView: r.type === 'VIEW', columns: [] }));
  }

  async getMetadata(): Promise<DatabaseMetadata> {
    return { tables: await this.getTables() };
  }
}

class ScopedPostgresDialect extends PostgresDialect {
  readonly #schema: string;
  constructor(config: ConstructorParameters<typeof PostgresDialect>[0], schema: string) {
    super(config);
    this.#schema = schema;
  }

  override createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SchemaScopedIntrospector(db, this.#schema);
  }
}

export function postgresDialect(options: PostgresOptions): Dialect {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    connectionTimeoutMillis: 5000,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
  });
  // An idle client that loses its connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  return new ScopedPostgresDialect({ pool }, options.schema ?? 'public');
}

/**
 * `CREATE DATABASE` for a database.url whose database does not exist yet (SQLSTATE 3D000), through the cluster's
 * `postgres` maintenance database. Returns a one-line reason when the role may not create it (or the cluster
 * refuses), with the command that would.
 */
export async function createMissingDatabase(url: string): Promise<string | undefined> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const client = new pg.Client({ connectionString: maintenance.href });
  const createdb = `createdb -h ${target.hostname || 'localhost'} -p ${target.port || '5432'}${target.username ? ` -U ${decodeURIComponent(target.username)}` : ''} ${name}`;
  try {
    await client.connect();
    await client.query(`create database ${client.escapeIdentifier(name)}`);
    return undefined;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === '42P04') return undefined; // another process created it meanwhile
    const why = code === '42501' ? 'this role may not create databases' : `it could not be created (${code ?? (err as Error).message})`;
    return `database "${name}" does not exist and ${why}; create it with \`${createdb}\`, then run \`gatehouse migrate\``;
  } finally {
    await client.end().catch(() => undefined);
  }
}
