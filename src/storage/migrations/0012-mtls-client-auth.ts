/**
 * Mutual TLS (RFC 8705, issue 11): a client's tls_client_auth subject (one of the five fields, §2.1.2) and its
 * tls_client_certificate_bound_access_tokens flag (§3.4); the x5t#S256 a public client's refresh token is bound
 * to (§4). Frozen once released.
 */
import type { Kysely } from 'kysely';

const SUBJECT_COLUMNS = [
  'tls_client_auth_subject_dn',
  'tls_client_auth_san_dns',
  'tls_client_auth_san_uri',
  'tls_client_auth_san_ip',
  'tls_client_auth_san_email',
];

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are frozen in time and typed Kysely<any> */
export async function up(db: Kysely<any>): Promise<void> {
  for (const column of SUBJECT_COLUMNS) await db.schema.alterTable('oauth_clients').addColumn(column, 'text').execute();
  await db.schema
    .alterTable('oauth_clients')
    .addColumn('tls_client_certificate_bound_access_tokens', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('refresh_tokens').addColumn('cnf_x5t_s256', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('refresh_tokens').dropColumn('cnf_x5t_s256').execute();
  await db.schema.alterTable('oauth_clients').dropColumn('tls_client_certificate_bound_access_tokens').execute();
  for (const column of SUBJECT_COLUMNS) await db.schema.alterTable('oauth_clients').dropColumn(column).execute();
}
