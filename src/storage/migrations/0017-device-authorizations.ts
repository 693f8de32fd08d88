/**
 * The Device Authorization Grant (RFC 8628, src/device/): one row per device authorization, found by the sha256
 * of its device code (the token endpoint) or of its normalised user code (the /device page), with the
 * approval written at consent (user, grant, auth_time, amr) and the polling state (`poll_interval` grows by
 * 5 s on slow_down, §3.5). `interval` is a reserved word in PostgreSQL, hence `poll_interval`. The expires_at
 * index serves `gatehouse cleanup`. Frozen once released.
 */
import type { Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are frozen in time and typed Kysely<any> */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('device_authorizations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('client_id', 'text', (c) => c.notNull().references('client_directory.client_id').onDelete('cascade'))
    .addColumn('device_code_hash', 'text', (c) => c.notNull().unique())
    .addColumn('user_code_hash', 'text', (c) => c.notNull().unique())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('resource', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text')
    .addColumn('grant_id', 'text')
    .addColumn('auth_time', 'bigint')
    .addColumn('amr', 'text')
    .addColumn('poll_interval', 'integer', (c) => c.notNull())
    .addColumn('last_polled_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('device_authorizations_expires_at').on('device_authorizations').column('expires_at').execute();
  await db.schema.createIndex('device_authorizations_client_id').on('device_authorizations').column('client_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('device_authorizations').execute();
}
