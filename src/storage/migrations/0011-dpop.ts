/**
 * DPoP (RFC 9449, src/dpop/): the proof jtis every node has seen (kept as sha256, until the proof could no longer
 * be accepted anyway), the key an authorization code is bound to (`dpop_jkt`, §10), the key a public client's
 * refresh token family is bound to (§5), and a client's `dpop_bound_access_tokens` (§5.2). Additive columns
 * without defaults that change behaviour. Frozen once released.
 */
import type { Kysely } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are frozen in time and typed Kysely<any> */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('dpop_proof_jtis')
    .addColumn('jti_hash', 'text', (c) => c.primaryKey())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('dpop_proof_jtis_expires_at').on('dpop_proof_jtis').column('expires_at').execute();
  await db.schema.alterTable('authorization_codes').addColumn('dpop_jkt', 'text').execute();
  await db.schema.alterTable('refresh_tokens').addColumn('dpop_jkt', 'text').execute();
  await db.schema.alterTable('oauth_clients').addColumn('dpop_bound_access_tokens', 'integer', (c) => c.notNull().defaultTo(0)).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('oauth_clients').dropColumn('dpop_bound_access_tokens').execute();
  await db.schema.alterTable('refresh_tokens').dropColumn('dpop_jkt').execute();
  await db.schema.alterTable('authorization_codes').dropColumn('dpop_jkt').execute();
  await db.schema.dropTable('dpop_proof_jtis').execute();
}
