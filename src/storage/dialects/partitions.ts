/**
 * Per-project partitions (PostgreSQL only). `oauth_clients` and `oauth_client_scopes` are LIST-partitioned by
 * `project_id`, one partition per project named `<table>_p<num>` after the project's numeric key, so a project's
 * clients live (and are dropped) together. SQLite has the same logical tables without partitions: every function
 * here is a no-op there. This is the only place outside the dialect files that knows which dialect is in use.
 */
import { PostgresAdapter, sql, type Kysely, type Transaction } from 'kysely';

export const PARTITIONED_TABLES = ['oauth_clients', 'oauth_client_scopes'] as const;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- used by frozen migrations (Kysely<any>) and stores alike
type AnyDb = Kysely<any> | Transaction<any>;

export function isPartitioned(db: AnyDb): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

export const partitionName = (table: string, num: number): string => `${table}_p${num}`;

/** Creates the project's partitions (inside the caller's transaction, so a failed create leaves none). */
export async function createProjectPartitions(db: AnyDb, projectId: string, num: number): Promise<void> {
  if (!isPartitioned(db)) return;
  if (!Number.isSafeInteger(num) || num < 1) throw new Error(`invalid project number ${num}`);
  for (const table of PARTITIONED_TABLES) {
    await sql`create table ${sql.id(partitionName(table, num))} partition of ${sql.id(table)} for values in (${sql.lit(projectId)})`.execute(db);
  }
}

/** Drops the project's partitions; their rows must already be gone (the caller deletes them first). */
export async function dropProjectPartitions(db: AnyDb, num: number): Promise<void> {
  if (!isPartitioned(db)) return;
  for (const table of PARTITIONED_TABLES) {
    await sql`drop table if exists ${sql.id(partitionName(table, num))}`.execute(db);
  }
}
