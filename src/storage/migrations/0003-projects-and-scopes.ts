/**
 * Projects become real: every project gets a numeric key (`num`) that names its partitions, every client
 * belongs to a project (clients without one move to the default project, which this migration creates when the
 * seeder has not yet), and the scope registry replaces free-text scopes:
 * - `client_directory` maps each client_id to its project. It is the one globally unique key for a client, and
 *   what client secrets, grants and consents reference: a partitioned table cannot have a unique key without its
 *   partition key, so on PostgreSQL it is the only thing a foreign key can point at.
 * - `oauth_clients` and the new `oauth_client_scopes` (one row per client and scope it may request) are
 *   LIST-partitioned by project on PostgreSQL (dialects/partitions.ts); SQLite keeps plain tables.
 * - `scopes` is rebuilt: built-in scopes (project_id null) and custom scopes per project, with a description the
 *   consent page shows and an operator-only flag. Custom scopes that existing clients hold are registered in
 *   their client's project, so no client loses a scope it had.
 * Frozen, like every released migration.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { createProjectPartitions, isPartitioned, partitionName } from '../dialects/partitions.js';

const BUILTIN_SCOPES: Array<[string, string, boolean]> = [
  ['openid', 'Sign you in', false],
  ['profile', 'Your name and profile', false],
  ['email', 'Your email address', false],
  ['address', 'Your postal address', false],
  ['phone', 'Your phone number', false],
  ['offline_access', 'Stay signed in (access while you are away)', false],
  ['admin', 'Administer Gatehouse', true],
];

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are frozen in time and typed Kysely<any> */
export async function up(db: Kysely<any>): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  const partitioned = isPartitioned(db);

  // Projects: a numeric key, in creation order; the default project exists from here on.
  await db.schema.alterTable('projects').addColumn('num', 'integer').execute();
  let projects: Array<{ id: string; slug: string; created_at: number }> = await db
    .selectFrom('projects')
    .select(['id', 'slug', 'created_at'])
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  if (!projects.some((p) => p.slug === 'default')) {
    const id = randomUUID();
    await db.insertInto('projects').values({ id, name: 'Default project', slug: 'default', created_at: now }).execute();
    projects = [{ id, slug: 'default', created_at: now }, ...projects];
  }
  for (const [i, p] of projects.entries()) await db.updateTable('projects').set({ num: i + 1 }).where('id', '=', p.id).execute();
  await db.schema.createIndex('projects_num').on('projects').column('num').unique().execute();
  const defaultProject = projects.find((p) => p.slug === 'default')!.id;
  await db.updateTable('oauth_clients').set({ project_id: defaultProject }).where('project_id', 'is', null).execute();

  await db.schema
    .createTable('client_directory')
    .addColumn('client_id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('client_directory_project_id').on('client_directory').column('project_id').execute();
  await sql`insert into client_directory (client_id, project_id, created_at) select client_id, project_id, created_at from oauth_clients`.execute(db);

  // The scope registry.
  await db.schema.dropTable('scopes').ifExists().execute();
  await db.schema
    .createTable('scopes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.references('projects.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('operator_only', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  // One name per project; built-in names (project_id null) are reserved everywhere by the registry's rules.
  await db.schema
    .createIndex('scopes_project_name')
    .on('scopes')
    .expression(sql`coalesce(project_id, ''), name`)
    .unique()
    .execute();
  for (const [name, description, operatorOnly] of BUILTIN_SCOPES) {
    await db
      .insertInto('scopes')
      .values({ id: `builtin:${name}`, project_id: null, name, description, operator_only: operatorOnly ? 1 : 0, created_at: now })
      .execute();
  }

  const scopeTable = db.schema
    .createTable('oauth_client_scopes')
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull().references('client_directory.client_id').onDelete('cascade'))
    .addColumn('scope', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('oauth_client_scopes_pk', ['project_id', 'client_id', 'scope']);
  await (partitioned ? scopeTable.modifyEnd(sql`partition by list (project_id)`) : scopeTable).execute();

  if (partitioned) await partitionClients(db);
  for (const p of projects) {
    const num = projects.indexOf(p) + 1;
    await createProjectPartitions(db, p.id, num);
  }
  if (partitioned) {
    await sql`insert into oauth_clients select * from oauth_clients_legacy`.execute(db);
    await sql`drop table oauth_clients_legacy`.execute(db);
  }
  await db.schema.createIndex('oauth_clients_client_id').on('oauth_clients').column('client_id').execute();

  const clients: Array<{ client_id: string; project_id: string; scope: string }> = await db
    .selectFrom('oauth_clients')
    .select(['client_id', 'project_id', 'scope'])
    .execute();
  const builtin = new Set(BUILTIN_SCOPES.map(([n]) => n));
  const custom = new Set<string>();
  for (const c of clients) {
    for (const scope of new Set(c.scope.split(' ').filter(Boolean))) {
      await db.insertInto('oauth_client_scopes').values({ project_id: c.project_id, client_id: c.client_id, scope }).execute();
      const key = `${c.project_id} ${scope}`;
      if (builtin.has(scope) || custom.has(key)) continue;
      custom.add(key);
      await db
        .insertInto('scopes')
        .values({ id: randomUUID(), project_id: c.project_id, name: scope, description: scope, operator_only: 0, created_at: now })
        .execute();
    }
  }
}

/**
 * PostgreSQL: rebuilds oauth_clients as a partitioned table. The children's foreign keys move to
 * client_directory first, the old table is renamed aside and its rows copied once the partitions exist.
 */
async function partitionClients(db: Kysely<any>): Promise<void> {
  for (const table of ['client_secrets', 'grants', 'consents']) {
    const fks = await sql<{ conname: string }>`
      select conname from pg_constraint
      where contype = 'f' and conrelid = ${table}::regclass and confrelid = 'oauth_clients'::regclass`.execute(db);
    for (const fk of fks.rows) await sql`alter table ${sql.id(table)} drop constraint ${sql.id(fk.conname)}`.execute(db);
    await sql`alter table ${sql.id(table)} add constraint ${sql.id(`${table}_client_id_fkey`)}
      foreign key (client_id) references client_directory (client_id) on delete cascade`.execute(db);
  }
  await sql`alter table oauth_clients rename to oauth_clients_legacy`.execute(db);
  await sql`alter index if exists oauth_clients_pkey rename to oauth_clients_legacy_pkey`.execute(db);
  await sql`drop index if exists oauth_clients_project_id`.execute(db);
  await sql`drop index if exists oauth_clients_registration_token`.execute(db);
  await db.schema
    .createTable('oauth_clients')
    .addColumn('client_id', 'text', (c) => c.notNull().references('client_directory.client_id').onDelete('cascade'))
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('client_type', 'text', (c) => c.notNull().check(sql`client_type in ('public', 'confidential')`))
    .addColumn('token_endpoint_auth_method', 'text', (c) => c.notNull())
    .addColumn('token_endpoint_auth_signing_alg', 'text')
    .addColumn('secret_enc', 'text')
    .addColumn('redirect_uris', 'text', (c) => c.notNull())
    .addColumn('post_logout_redirect_uris', 'text', (c) => c.notNull())
    .addColumn('allowed_origins', 'text', (c) => c.notNull())
    .addColumn('grant_types', 'text', (c) => c.notNull())
    .addColumn('response_types', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('resources', 'text', (c) => c.notNull())
    .addColumn('pkce_required', 'integer', (c) => c.notNull())
    .addColumn('is_default', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('skip_consent', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('jwks', 'text')
    .addColumn('jwks_uri', 'text')
    .addColumn('id_token_signed_response_alg', 'text')
    .addColumn('access_token_ttl', 'integer')
    .addColumn('refresh_token_ttl', 'integer')
    .addColumn('id_token_ttl', 'integer')
    .addColumn('registration_access_token_hash', 'text')
    .addColumn('metadata', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('oauth_clients_pk', ['project_id', 'client_id'])
    .modifyEnd(sql`partition by list (project_id)`)
    .execute();
  await db.schema
    .createIndex('oauth_clients_registration_token')
    .on('oauth_clients')
    .column('registration_access_token_hash')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  const partitioned = isPartitioned(db);
  await db.schema.dropTable('oauth_client_scopes').ifExists().execute();
  await db.schema.dropIndex('oauth_clients_client_id').ifExists().execute();
  if (partitioned) {
    // Back to one plain table, keyed by client_id, with the children's keys pointing at it again.
    await sql`create table oauth_clients_plain (like oauth_clients including defaults including constraints)`.execute(db);
    await sql`insert into oauth_clients_plain select * from oauth_clients`.execute(db);
    for (const table of ['client_secrets', 'grants', 'consents']) {
      await sql`alter table ${sql.id(table)} drop constraint if exists ${sql.id(`${table}_client_id_fkey`)}`.execute(db);
    }
    const projects = await db.selectFrom('projects').select('num').execute();
    await sql`drop table oauth_clients`.execute(db);
    for (const p of projects) await sql`drop table if exists ${sql.id(partitionName('oauth_clients', p.num))}`.execute(db);
    await sql`alter table oauth_clients_plain rename to oauth_clients`.execute(db);
    await sql`alter table oauth_clients alter column project_id drop not null`.execute(db);
    await sql`alter table oauth_clients add primary key (client_id)`.execute(db);
    await sql`alter table oauth_clients add constraint oauth_clients_project_id_fkey foreign key (project_id) references projects (id) on delete set null`.execute(db);
    for (const table of ['client_secrets', 'grants', 'consents']) {
      await sql`alter table ${sql.id(table)} add constraint ${sql.id(`${table}_client_id_fkey`)}
        foreign key (client_id) references oauth_clients (client_id) on delete cascade`.execute(db);
    }
    await db.schema.createIndex('oauth_clients_project_id').on('oauth_clients').column('project_id').execute();
    await db.schema.dropIndex('oauth_clients_registration_token').ifExists().execute();
    await db.schema.createIndex('oauth_clients_registration_token').on('oauth_clients').column('registration_access_token_hash').execute();
  }
  await db.schema.dropTable('client_directory').ifExists().execute();
  await db.schema.dropTable('scopes').ifExists().execute();
  await db.schema
    .createTable('scopes')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.dropIndex('projects_num').ifExists().execute();
  await db.schema.alterTable('projects').dropColumn('num').execute();
}
