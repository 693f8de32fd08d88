/**
 * Pushed Authorization Requests (RFC 9126, issue 11): the pushed requests, each under the sha256 of its
 * request_uri reference, and a client's `require_pushed_authorization_requests`. The expires_at index serves
 * `gatehouse cleanup`. Frozen once released.
 */
import type { Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are frozen in time and typed Kysely<any> */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('oauth_par_requests')
    .addColumn('reference_hash', 'text', (c) => c.primaryKey())
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('client_id', 'text', (c) => c.notNull().references('client_directory.client_id').onDelete('cascade'))
    .addColumn('params', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('oauth_par_requests_expires_at').on('oauth_par_requests').column('expires_at').execute();
  await db.schema.createIndex('oauth_par_requests_client_id').on('oauth_par_requests').column('client_id').execute();
  await db.schema
    .alterTable('oauth_clients')
    .addColumn('require_pushed_authorization_requests', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('oauth_clients').dropColumn('require_pushed_authorization_requests').execute();
  await db.schema.dropTable('oauth_par_requests').execute();
}
