/**
 * Which clients each browser session has issued grants to (issue 14, Back- and Front-Channel Logout 1.0): the
 * OP must tell every one of them when the session ends. A row is written with the authorization code and
 * removed when the logout is fanned out. No foreign keys: a row outlives the session it names until the
 * logout of that session has read it. Frozen once released.
 */
import type { Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are frozen in time and typed Kysely<any> */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('session_clients')
    .addColumn('sid', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('session_clients_pk', ['sid', 'client_id'])
    .execute();
  await db.schema.createIndex('session_clients_user').on('session_clients').column('user_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('session_clients').execute();
}
