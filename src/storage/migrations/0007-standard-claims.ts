/**
 * Standard claims (OpenID Connect Core §5.1) and the claims request parameter (§5.5), issue 14. The claims the
 * users table has no column for (middle_name, nickname, …, phone_number, address) live in one JSON object per
 * user; email, email_verified and the names keep their columns. A grant keeps the normalized `claims` request
 * of its authorization, so that userinfo and refreshed ID tokens honour it. Clients get their subject type
 * (§8, pairwise subjects), sector_identifier_uri and the sector host resolved at registration; on PostgreSQL
 * the ALTER on the partitioned oauth_clients parent reaches every partition. Additive; frozen once released.
 */
import type { Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are frozen in time and typed Kysely<any> */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').addColumn('profile_claims', 'text').execute();
  await db.schema.alterTable('grants').addColumn('claims', 'text').execute();
  await db.schema.alterTable('oauth_clients').addColumn('subject_type', 'text', (c) => c.notNull().defaultTo('public')).execute();
  await db.schema.alterTable('oauth_clients').addColumn('sector_identifier_uri', 'text').execute();
  await db.schema.alterTable('oauth_clients').addColumn('sector_host', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const column of ['sector_host', 'sector_identifier_uri', 'subject_type']) {
    await db.schema.alterTable('oauth_clients').dropColumn(column).execute();
  }
  await db.schema.alterTable('grants').dropColumn('claims').execute();
  await db.schema.alterTable('users').dropColumn('profile_claims').execute();
}
