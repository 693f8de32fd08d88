/**
 * Opaque access tokens (issue 13): a client's `access_token_format` and the table of opaque tokens, each kept
 * only as the sha256 of its 256-bit value with the claims a JWT would have carried. A token of a user grant
 * names its grant (revoking the grant, by code replay or refresh reuse, reaches it, and purging the expired
 * grant deletes it); every token dies with its client. The expires_at index serves `gatehouse cleanup`.
 * Frozen once released.
 */
import type { Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are frozen in time and typed Kysely<any> */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('oauth_clients').addColumn('access_token_format', 'text', (c) => c.notNull().defaultTo('jwt')).execute();
  await db.schema
    .createTable('opaque_access_tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('jti', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull().references('client_directory.client_id').onDelete('cascade'))
    .addColumn('grant_id', 'text', (c) => c.references('grants.id').onDelete('cascade'))
    .addColumn('sub', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('aud', 'text', (c) => c.notNull())
    .addColumn('auth_time', 'bigint')
    .addColumn('cnf', 'text')
    .addColumn('issued_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('opaque_access_tokens_expires_at').on('opaque_access_tokens').column('expires_at').execute();
  await db.schema.createIndex('opaque_access_tokens_client_id').on('opaque_access_tokens').column('client_id').execute();
  await db.schema.createIndex('opaque_access_tokens_grant_id').on('opaque_access_tokens').column('grant_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('opaque_access_tokens').execute();
  await db.schema.alterTable('oauth_clients').dropColumn('access_token_format').execute();
}
