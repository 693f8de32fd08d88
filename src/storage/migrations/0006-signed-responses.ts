/**
 * Per-client signing algorithms for signed responses (issue 14): userinfo (OIDC Core §5.3.2), introspection
 * (RFC 9701) and authorization responses (JARM). Nullable columns: null means the server default (a plain JSON
 * userinfo, RS256 for introspection JWTs and JARM). On PostgreSQL the ALTER on the partitioned parent reaches
 * every project partition. Frozen once released.
 */
import type { Kysely } from 'kysely';

const COLUMNS = ['userinfo_signed_response_alg', 'introspection_signed_response_alg', 'authorization_signed_response_alg'];

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are frozen in time and typed Kysely<any> */
export async function up(db: Kysely<any>): Promise<void> {
  for (const column of COLUMNS) await db.schema.alterTable('oauth_clients').addColumn(column, 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const column of [...COLUMNS].reverse()) await db.schema.alterTable('oauth_clients').dropColumn(column).execute();
}
