/**
 * OpenID Connect Dynamic Client Registration 1.0 §2 metadata the server acts on (issue 14): application_type,
 * request_object_signing_alg, default_max_age and require_auth_time. Additive columns with defaults; on
 * PostgreSQL oauth_clients is partitioned by project and ALTER TABLE on the parent reaches every partition.
 * Frozen once released.
 */
import type { Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are frozen in time and typed Kysely<any> */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('oauth_clients').addColumn('application_type', 'text', (c) => c.notNull().defaultTo('web')).execute();
  await db.schema.alterTable('oauth_clients').addColumn('request_object_signing_alg', 'text').execute();
  await db.schema.alterTable('oauth_clients').addColumn('default_max_age', 'integer').execute();
  await db.schema.alterTable('oauth_clients').addColumn('require_auth_time', 'integer', (c) => c.notNull().defaultTo(0)).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const column of ['require_auth_time', 'default_max_age', 'request_object_signing_alg', 'application_type']) {
    await db.schema.alterTable('oauth_clients').dropColumn(column).execute();
  }
}
