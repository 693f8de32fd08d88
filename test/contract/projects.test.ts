/**
 * Contract tests for projects, members, per-project partitions, the scope registry and user access revocation,
 * on SQLite and PostgreSQL; and the forward migration of a database that predates projects (0003).
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Migrator, sql, type Kysely, type Migration } from 'kysely';
import { createStores, type Stores } from '../../src/storage/stores.js';
import { migrateUp } from '../../src/storage/migrator.js';
import * as m0001 from '../../src/storage/migrations/0001-init.js';
import * as m0002 from '../../src/storage/migrations/0002-lighter-sign-in.js';
import { schemaOf } from '../../src/storage/db.js';
import type { Project } from '../../src/projects/project.store.js';
import { testDatabase, type TestDb } from '../helpers/database.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { DIALECTS } from '../helpers/server.js';
import { sampleClient, useProject } from '../helpers/fixtures.js';

const pg = await postgresAvailable();
const NOW = 1_800_000_000;

const user = (email: string) => ({
  id: randomUUID(), email, emailVerified: true, givenName: null, familyName: null, name: null,
  passwordHash: 'h', disabledAt: null, createdAt: NOW, updatedAt: NOW,
});

async function partitionsOf(t: TestDb, table: string): Promise<string[]> {
  const r = await sql<{ name: string }>`
    select c.relname as name from pg_inherits i
    join pg_class c on c.oid = i.inhrelid join pg_class p on p.oid = i.inhparent
    join pg_namespace n on n.oid = p.relnamespace
    where p.relname = ${table} and n.nspname = ${t.schema!} order by c.relname`.execute(t.db);
  return r.rows.map((x) => x.name);
}

describe.each(DIALECTS)('projects contract (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let t: TestDb | undefined;
  afterEach(async () => {
    await t?.cleanup();
    t = undefined;
  });
  const open = async (): Promise<Stores> => {
    t = await testDatabase(dialect);
    const s = createStores(t.db);
    useProject((await s.projects.findBySlug('default'))!.id);
    return s;
  };
  const tx = <T>(fn: (s: Stores) => Promise<T>) => t!.db.transaction().execute((x) => fn(createStores(x)));

  it.skipIf(skip)('migrate creates the default project with number 1 and its partitions', async () => {
    const s = await open();
    const def = await s.projects.findBySlug('default');
    expect(def?.num).toBe(1);
    expect(await s.projects.nextNum()).toBe(2);
    if (dialect === 'postgres') {
      expect(await partitionsOf(t!, 'oauth_clients')).toEqual(['oauth_clients_p1']);
      expect(await partitionsOf(t!, 'oauth_client_scopes')).toEqual(['oauth_client_scopes_p1']);
    }
  });

  it.skipIf(skip)('creating a project creates its partitions in the same transaction; deleting drops rows and partitions', async () => {
    const s = await open();
    const p: Project = { id: randomUUID(), num: await s.projects.nextNum(), name: 'Billing', slug: 'billing', createdAt: NOW };
    // A failed create leaves neither the row nor the partitions.
    await expect(tx(async (x) => {
      await x.projects.insert(p);
      throw new Error('boom');
    })).rejects.toThrow('boom');
    expect(await s.projects.findById(p.id)).toBeUndefined();
    if (dialect === 'postgres') expect(await partitionsOf(t!, 'oauth_clients')).toEqual(['oauth_clients_p1']);

    await tx((x) => x.projects.insert(p));
    if (dialect === 'postgres') {
      expect(await partitionsOf(t!, 'oauth_clients')).toEqual(['oauth_clients_p1', 'oauth_clients_p2']);
      expect(await partitionsOf(t!, 'oauth_client_scopes')).toEqual(['oauth_client_scopes_p1', 'oauth_client_scopes_p2']);
    }
    const c = sampleClient({ projectId: p.id, scopes: ['openid', 'profile'] });
    await tx((x) => x.clients.insert(c));
    expect(await s.clients.find(c.clientId)).toEqual(c);
    expect((await s.clients.list(p.id)).map((x) => x.clientId)).toEqual([c.clientId]);
    if (dialect === 'postgres') {
      const inPartition = await sql<{ n: number }>`select count(*)::int as n from oauth_clients_p2`.execute(t!.db);
      expect(inPartition.rows[0]!.n).toBe(1);
    }
    // A client_id is unique across every project.
    const def = (await s.projects.findBySlug('default'))!;
    await expect(tx((x) => x.clients.insert({ ...c, projectId: def.id }))).rejects.toThrow();
    expect((await s.scopes.holders(p.id, 'profile'))).toEqual([c.clientId]);
    await s.clients.update({ ...c, scopes: ['openid'], updatedAt: NOW + 1 });
    expect(await s.scopes.holders(p.id, 'profile')).toEqual([]);

    await s.clients.addSecret({ id: 's1', clientId: c.clientId, hash: 'h', kind: 'hmac-sha256', createdAt: NOW, expiresAt: null });
    await tx((x) => x.projects.delete(p));
    expect(await s.projects.findById(p.id)).toBeUndefined();
    expect(await s.clients.find(c.clientId)).toBeUndefined();
    expect(await s.clients.secrets(c.clientId, NOW)).toEqual([]);
    if (dialect === 'postgres') {
      expect(await partitionsOf(t!, 'oauth_clients')).toEqual(['oauth_clients_p1']);
      expect(await partitionsOf(t!, 'oauth_client_scopes')).toEqual(['oauth_client_scopes_p1']);
    }
  });

  it.skipIf(skip)('members: add, role, memberships, remove', async () => {
    const s = await open();
    const def = (await s.projects.findBySlug('default'))!;
    const u = user('m@example.test');
    await s.users.insert(u);
    await s.projects.addMember({ projectId: def.id, userId: u.id, role: 'admin', createdAt: NOW });
    await expect(s.projects.addMember({ projectId: def.id, userId: u.id, role: 'member', createdAt: NOW })).rejects.toThrow();
    expect(await s.projects.setRole(def.id, u.id, 'member')).toBe(true);
    expect((await s.projects.membershipsOf(u.id)).map((m) => m.role)).toEqual(['member']);
    expect((await s.projects.members(def.id)).map((m) => m.userId)).toEqual([u.id]);
    expect(await s.projects.removeMember(def.id, u.id)).toBe(true);
    expect(await s.projects.removeMember(def.id, u.id)).toBe(false);
  });

  it.skipIf(skip)('scopes: built-ins for every project, custom ones per project with one name each', async () => {
    const s = await open();
    const def = (await s.projects.findBySlug('default'))!;
    const builtins = (await s.scopes.visibleTo(def.id)).map((x) => x.name).sort();
    expect(builtins).toEqual(['address', 'admin', 'email', 'offline_access', 'openid', 'phone', 'profile']);
    expect((await s.scopes.find(def.id, 'admin'))?.operatorOnly).toBe(true);
    await s.scopes.insert({ id: randomUUID(), projectId: def.id, name: 'api:read', description: 'Read', operatorOnly: false, createdAt: NOW });
    await expect(s.scopes.insert({ id: randomUUID(), projectId: def.id, name: 'api:read', description: 'Again', operatorOnly: false, createdAt: NOW })).rejects.toThrow();
    expect((await s.scopes.find(def.id, 'api:read'))?.description).toBe('Read');
    expect(await s.scopes.delete(def.id, 'api:read')).toBe(true);
    expect(await s.scopes.delete(def.id, 'openid')).toBe(false);
  });

  it.skipIf(skip)('access.revokeAll ends sessions and revokes grants and refresh tokens', async () => {
    const s = await open();
    const u = user('r@example.test');
    await s.users.insert(u);
    const c = sampleClient();
    await s.clients.insert(c);
    await s.codes.issue(
      { id: 'g1', clientId: c.clientId, userId: u.id, scope: 'openid', createdAt: NOW, expiresAt: NOW + 1000, revokedAt: null },
      {
        codeHash: 'ch', grantId: 'g1', clientId: c.clientId, userId: u.id, redirectUri: 'https://app.example.com/cb', scope: 'openid', resource: null,
        nonce: null, codeChallenge: null, codeChallengeMethod: null, authTime: NOW, sid: null, amr: null, claims: null, createdAt: NOW, expiresAt: NOW + 60, consumedAt: null,
      },
    );
    await s.sessions.insert({ id: 'sess', secretHash: 'x', userId: u.id, sid: 'sid1', authTime: NOW, amr: ['pwd'], createdAt: NOW, lastSeenAt: NOW, expiresAt: NOW + 1000 });
    await s.access.revokeAll(u.id, NOW + 1);
    expect((await s.tokens.findGrant('g1'))?.revokedAt).toBe(NOW + 1);
    expect(await s.tokens.isAccessTokenRevoked('jti', 'g1')).toBe(true);
    expect(await s.sessions.find('sess')).toBeUndefined();
  });
});

describe.each(DIALECTS)('migration 0003 on an existing database (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let t: TestDb | undefined;
  afterEach(async () => t?.cleanup());

  it.skipIf(skip)('keeps every client, secret, scope and grant of a database that predates projects', async () => {
    t = await testDatabase(dialect, false);
    const schema = schemaOf(t.db);
    const old: Record<string, Migration> = { '0001-init': m0001, '0002-lighter-sign-in': m0002 };
    const res = await new Migrator({
      db: t.db,
      provider: { getMigrations: async () => old },
      migrationTableName: 'gatehouse_migrations',
      migrationLockTableName: 'gatehouse_migrations_lock',
      ...(schema ? { migrationTableSchema: schema } : {}),
    }).migrateToLatest();
    expect(res.error).toBeUndefined();
    // The old schema as the seeder left it: a default project, a client without a project, custom scopes.
    const db = t.db as unknown as Kysely<Record<string, Record<string, unknown>>>;
    await db.insertInto('projects').values({ id: 'p-old', name: 'Default project', slug: 'default', created_at: NOW }).execute();
    const row = (id: string, project: string | null, scope: string) => ({
      client_id: id, project_id: project, name: id, client_type: 'confidential', token_endpoint_auth_method: 'client_secret_basic',
      token_endpoint_auth_signing_alg: null, secret_enc: null, redirect_uris: '["https://a.example/cb"]', post_logout_redirect_uris: '[]',
      allowed_origins: '[]', grant_types: '["authorization_code","client_credentials"]', response_types: '["code"]', scope, resources: '[]',
      pkce_required: 1, is_default: 0, skip_consent: 0, jwks: null, jwks_uri: null, id_token_signed_response_alg: null, access_token_ttl: null,
      refresh_token_ttl: null, id_token_ttl: null, registration_access_token_hash: null, metadata: '{}', created_at: NOW, updated_at: NOW,
    });
    await db.insertInto('oauth_clients').values(row('in-project', 'p-old', 'openid api:read')).execute();
    await db.insertInto('oauth_clients').values(row('orphan', null, 'openid billing:write')).execute();
    await db.insertInto('client_secrets').values({ id: 's1', client_id: 'orphan', hash: 'hash-1', kind: 'hmac-sha256', created_at: NOW, expires_at: null }).execute();
    await db.insertInto('users').values({ id: 'u1', email: 'u@example.test', email_verified: 1, given_name: null, family_name: null, name: null, password_hash: null, disabled_at: null, created_at: NOW, updated_at: NOW }).execute();
    await db.insertInto('grants').values({ id: 'g1', client_id: 'orphan', user_id: 'u1', scope: 'openid', created_at: NOW, expires_at: NOW + 1000, revoked_at: null }).execute();
    await db.insertInto('refresh_tokens').values({ token_hash: 'rt1', grant_id: 'g1', client_id: 'orphan', user_id: 'u1', scope: 'openid', resource: null, auth_time: NOW, sid: null, amr: null, parent_hash: null, created_at: NOW, expires_at: NOW + 1000, used_at: null, revoked_at: null }).execute();

    await migrateUp(t.db);
    const s = createStores(t.db);
    expect((await s.projects.findBySlug('default'))?.id).toBe('p-old');
    const orphan = await s.clients.find('orphan');
    expect(orphan?.projectId).toBe('p-old');
    expect(orphan?.scopes).toEqual(['openid', 'billing:write']);
    expect((await s.clients.find('in-project'))?.scopes).toEqual(['openid', 'api:read']);
    expect((await s.clients.secrets('orphan', NOW)).map((x) => x.hash)).toEqual(['hash-1']);
    expect((await s.tokens.findRefreshToken('rt1'))?.grantId).toBe('g1');
    expect((await s.scopes.find('p-old', 'billing:write'))?.projectId).toBe('p-old');
    expect(await s.scopes.holders('p-old', 'api:read')).toEqual(['in-project']);
    // The children still cascade from their client after the move.
    expect(await s.clients.delete('orphan')).toBe(true);
    expect(await s.tokens.findRefreshToken('rt1')).toBeUndefined();
    expect(await s.clients.secrets('orphan', NOW)).toEqual([]);
  });
});
