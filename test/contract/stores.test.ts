/**
 * One contract suite for every store, run against SQLite and PostgreSQL: same behaviour on both.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createStores, type Stores } from '../../src/storage/stores.js';
import { migrateDown, migrateUp, isMigrated } from '../../src/storage/migrator.js';
import type { StoredKey } from '../../src/keys/key.store.js';
import { testDatabase, type TestDb } from '../helpers/database.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { DIALECTS } from '../helpers/server.js';
import { sampleClient, useProject } from '../helpers/fixtures.js';

const pg = await postgresAvailable();
const NOW = 1_800_000_000;


function key(kid: string, state: StoredKey['state'], alg = 'ES256'): StoredKey {
  return {
    kid,
    alg,
    state,
    privateJwkEnc: 'sealed',
    publicJwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' },
    createdAt: NOW,
    activatedAt: state === 'active' ? NOW : null,
    retiredAt: null,
    publishUntil: null,
  };
}

describe.each(DIALECTS)('store contract (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let t: TestDb;
  let s: Stores;
  beforeEach(async () => {
    if (skip) return;
    t = await testDatabase(dialect);
    s = createStores(t.db);
    useProject((await s.projects.findBySlug('default'))!.id);
  });
  afterEach(async () => t?.cleanup());

  it.skipIf(skip)('migrate, migrate down, migrate leaves a working database', async () => {
    expect(await isMigrated(t.db)).toBe(true);
    await migrateDown(t.db);
    expect(await isMigrated(t.db)).toBe(false);
    await migrateDown(t.db);
    await migrateUp(t.db);
    await migrateDown(t.db);
    await migrateUp(t.db);
    useProject((await s.projects.findBySlug('default'))!.id);
    await s.clients.insert(sampleClient());
    expect((await s.clients.list()).length).toBe(1);
  });

  it.skipIf(skip)('users: insert, find by email case-insensitively, update, identities', async () => {
    const id = randomUUID();
    await s.users.insert({
      id, email: 'Ada@Example.com', emailVerified: true, givenName: 'Ada', familyName: 'L', name: 'Ada L',
      passwordHash: 'h', disabledAt: null, createdAt: NOW, updatedAt: NOW,
    });
    expect((await s.users.findByEmail('ada@example.COM'))?.id).toBe(id);
    expect(await s.users.update(id, { disabledAt: NOW + 1, updatedAt: NOW + 1 })).toBe(true);
    expect((await s.users.findById(id))?.disabledAt).toBe(NOW + 1);
    await s.users.insertIdentity({ id: randomUUID(), userId: id, provider: 'system', subject: id, createdAt: NOW });
    expect((await s.users.findIdentity('system', id))?.userId).toBe(id);
    await expect(
      s.users.insertIdentity({ id: randomUUID(), userId: id, provider: 'system', subject: id, createdAt: NOW }),
    ).rejects.toThrow();
    expect(await s.users.count()).toBe(1);
  });

  it.skipIf(skip)('clients: round trip, secrets with rotation grace, delete cascades', async () => {
    const c = sampleClient();
    await s.clients.insert(c);
    expect(await s.clients.find(c.clientId)).toEqual(c);
    await s.clients.addSecret({ id: 'old', clientId: c.clientId, hash: 'h1', kind: 'hmac-sha256', createdAt: NOW, expiresAt: null });
    await s.clients.addSecret({ id: 'new', clientId: c.clientId, hash: 'h2', kind: 'argon2id', createdAt: NOW + 1, expiresAt: null });
    await s.clients.expireSecrets(c.clientId, 'new', NOW + 100);
    expect((await s.clients.secrets(c.clientId, NOW + 50)).map((x) => x.id).sort()).toEqual(['new', 'old']);
    expect((await s.clients.secrets(c.clientId, NOW + 100)).map((x) => x.id)).toEqual(['new']);
    await s.clients.update({ ...c, name: 'Renamed', updatedAt: NOW + 5 });
    expect((await s.clients.find(c.clientId))?.name).toBe('Renamed');
    expect(await s.clients.delete(c.clientId)).toBe(true);
    expect(await s.clients.secrets(c.clientId, NOW)).toEqual([]);
    expect(await s.clients.find(c.clientId)).toBeUndefined();
  });

  it.skipIf(skip)('keys: one active and one next per alg; rotate is atomic', async () => {
    await s.keys.insert(key('a1', 'active'));
    await s.keys.insert(key('n1', 'next'));
    await expect(s.keys.insert(key('a2', 'active'))).rejects.toThrow();
    await s.keys.rotate('ES256', 'n1', key('n2', 'next'), NOW + 10, NOW + 1000);
    const byKid = Object.fromEntries((await s.keys.list()).map((k) => [k.kid, k]));
    expect(byKid['a1']?.state).toBe('retired');
    expect(byKid['a1']?.publishUntil).toBe(NOW + 1000);
    expect(byKid['n1']?.state).toBe('active');
    expect(byKid['n2']?.state).toBe('next');
    // A stale promote fails and changes nothing.
    await expect(s.keys.rotate('ES256', 'n1', key('n3', 'next'), NOW + 20, NOW + 2000)).rejects.toThrow();
    expect((await s.keys.list()).find((k) => k.state === 'active')?.kid).toBe('n1');
    expect(await s.keys.deleteExpired(NOW + 1000)).toBe(1);
  });

  it.skipIf(skip)('tokens: denylist, assertion jti single use, grant revocation', async () => {
    await s.tokens.denyAccessToken('jti-1', NOW + 60);
    await s.tokens.denyAccessToken('jti-1', NOW + 60);
    expect(await s.tokens.isAccessTokenRevoked('jti-1', undefined)).toBe(true);
    expect(await s.tokens.isAccessTokenRevoked('jti-2', undefined)).toBe(false);
    expect(await s.tokens.useAssertionJti('j', NOW + 60, NOW)).toBe(true);
    expect(await s.tokens.useAssertionJti('j', NOW + 60, NOW + 1)).toBe(false);
    expect(await s.tokens.useAssertionJti('j', NOW + 200, NOW + 61)).toBe(true);
    const c = sampleClient();
    await s.clients.insert(c);
    await t.db.insertInto('grants').values({ id: 'g1', client_id: c.clientId, user_id: null, scope: 's', created_at: NOW, expires_at: NOW + 100, revoked_at: null }).execute();
    await t.db.insertInto('refresh_tokens').values({
      token_hash: 'rt', grant_id: 'g1', client_id: c.clientId, user_id: null, scope: 's', resource: null, auth_time: null,
      sid: null, amr: null, parent_hash: null, created_at: NOW, expires_at: NOW + 100, used_at: null, revoked_at: null,
    }).execute();
    expect(await s.tokens.isAccessTokenRevoked('g1.x', 'g1')).toBe(false);
    await s.tokens.revokeGrant('g1', NOW + 1);
    expect(await s.tokens.isAccessTokenRevoked('g1.x', 'g1')).toBe(true);
    expect((await s.tokens.findRefreshToken('rt'))?.revokedAt).toBe(NOW + 1);
    expect(await s.tokens.purgeExpired(NOW + 1000)).toBeGreaterThanOrEqual(3);
    // the grant's refresh token went with it
    expect(await s.tokens.findRefreshToken('rt')).toBeUndefined();
  });

  it.skipIf(skip || dialect !== 'postgres')('codes (PostgreSQL): a sign-in completes in one statement, all of it or nothing', async () => {
    const c = sampleClient();
    await s.clients.insert(c);
    const userId = randomUUID();
    await s.users.insert({ id: userId, email: `${userId}@x.test`, emailVerified: false, givenName: null, familyName: null, name: null, passwordHash: null, disabledAt: null, createdAt: NOW, updatedAt: NOW });
    const session = (id: string) => ({ id, secretHash: `h-${id}`, userId, sid: `sid-${id}`, authTime: NOW, amr: ['pwd'], createdAt: NOW, lastSeenAt: NOW, expiresAt: NOW + 3600 });
    const event = (id: string) => ({ id, at: NOW, actorType: 'user' as const, actorId: userId, action: 'consent.granted', targetType: 'client', targetId: c.clientId, projectId: null, outcome: 'success' as const, requestId: null, ip: null, userAgent: null, detail: { scope: ['openid', 'email'] } });
    const grant = (id: string) => ({ id, clientId: c.clientId, userId, scope: 'openid email', createdAt: NOW, expiresAt: NOW + 100, revokedAt: null, claims: null });
    const code = (codeHash: string, grantId: string, sid: string) => ({ codeHash, grantId, clientId: c.clientId, userId, redirectUri: 'https://app.example.com/cb', scope: 'openid email', resource: null, nonce: null, codeChallenge: 'c', codeChallengeMethod: 'S256', authTime: NOW, sid, amr: '["pwd"]', claims: null, createdAt: NOW, expiresAt: NOW + 60, consumedAt: null });
    const complete = (grantId: string, sessionId: string, replaces?: string) =>
      s.codes.issueWithSignIn!(grant(grantId), code(`code-${sessionId}`, grantId, `sid-${sessionId}`), {
        userId,
        session: { insert: session(sessionId), replaces },
        consent: { scopes: ['openid', 'email'], at: NOW + 1 },
        events: [event(`ev-${sessionId}`)],
      });
    const count = async (table: 'grants' | 'authorization_codes' | 'browser_sessions' | 'session_clients' | 'audit_events') =>
      Number((await t.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    await s.consents.save({ userId, clientId: c.clientId, scopes: ['profile', 'openid'], createdAt: NOW, updatedAt: NOW });
    await s.sessions.insert(session('old'));

    expect(await complete('g-1', 'new', 'old')).toBe('issued');
    expect(await s.sessions.find('old')).toBeUndefined();
    expect((await s.sessions.find('new'))?.amr).toEqual(['pwd']);
    expect(await s.consents.find(userId, c.clientId)).toMatchObject({ scopes: ['profile', 'openid', 'email'], createdAt: NOW, updatedAt: NOW + 1 });
    expect((await s.codes.consume('code-new', NOW))).toMatchObject({ code: { grantId: 'g-1', sid: 'sid-new' } });
    expect(await s.audit.list({ limit: 10 })).toEqual([event('ev-new')]);
    expect(await count('session_clients')).toBe(1);
    const written = { grants: 1, codes: 1, sessions: 1, sessionClients: 1, events: 1 };
    const counts = async () => ({ grants: await count('grants'), codes: await count('authorization_codes'), sessions: await count('browser_sessions'), sessionClients: await count('session_clients'), events: await count('audit_events') });

    // The same grant id again (a replayed interaction), even concurrently: nothing at all is written.
    expect(await Promise.all(['r1', 'r2', 'r3'].map((id) => complete('g-1', id, 'new')))).toEqual(['taken', 'taken', 'taken']);
    expect(await counts()).toEqual(written);
    expect(await s.sessions.find('new')).toBeDefined();

    // A disabled account: nothing either, and a fresh grant id does not help.
    await s.users.update(userId, { disabledAt: NOW, updatedAt: NOW });
    expect(await complete('g-2', 'late')).toBe('disabled');
    expect(await counts()).toEqual(written);
  });

  it.skipIf(skip)('registration tokens: uses are spent atomically, expiry honoured', async () => {
    await s.registrationTokens.insert({ tokenHash: 'two', usesRemaining: 2, createdAt: NOW, expiresAt: NOW + 10 });
    await s.registrationTokens.insert({ tokenHash: 'any', usesRemaining: null, createdAt: NOW, expiresAt: null });
    const results = await Promise.all([1, 2, 3, 4].map(() => s.registrationTokens.consume('two', NOW)));
    expect(results.filter(Boolean).length).toBe(2);
    expect(await s.registrationTokens.consume('any', NOW)).toBe(true);
    await s.registrationTokens.insert({ tokenHash: 'old', usesRemaining: null, createdAt: NOW, expiresAt: NOW + 10 });
    expect(await s.registrationTokens.consume('old', NOW + 10)).toBe(false);
    expect(await s.registrationTokens.consume('missing', NOW)).toBe(false);
  });

  it.skipIf(skip)('codes: issued with their grant; consumed exactly once under concurrency; replay names the grant', async () => {
    const c = sampleClient();
    await s.clients.insert(c);
    const userId = randomUUID();
    await s.users.insert({ id: userId, email: `${userId}@x.test`, emailVerified: false, givenName: null, familyName: null, name: null, passwordHash: null, disabledAt: null, createdAt: NOW, updatedAt: NOW });
    const grant = { id: 'g-code', clientId: c.clientId, userId, scope: 'openid', createdAt: NOW, expiresAt: NOW + 100, revokedAt: null };
    const code = (codeHash: string) => ({ codeHash, grantId: 'g-code', clientId: c.clientId, userId, redirectUri: 'https://app.example.com/cb', scope: 'openid', resource: null, nonce: 'n', codeChallenge: 'c', codeChallengeMethod: 'S256', authTime: NOW, sid: 's', amr: '["pwd"]', claims: null, createdAt: NOW, expiresAt: NOW + 60, consumedAt: null });
    expect(await s.codes.issue(grant, code('h-code'))).toBe(true);
    // A grant id is taken once: a replayed interaction (whose id the grant takes) issues nothing.
    const again = await Promise.all(Array.from({ length: 3 }, (_, i) => s.codes.issue(grant, code(`h-again-${i}`))));
    expect(again).toEqual([false, false, false]);
    expect(await s.codes.consume('h-again-0', NOW + 1)).toBeUndefined();
    const results = await Promise.all(Array.from({ length: 10 }, () => s.codes.consume('h-code', NOW + 1)));
    expect(results.filter((r) => r && 'code' in r).length).toBe(1);
    expect(results.filter((r) => r && 'replayedGrantId' in r).length).toBe(9);
    expect(await s.codes.consume('missing', NOW)).toBeUndefined();
    const ctx = await s.tokens.grantContext('g-code');
    expect(ctx?.user.id).toBe(userId);
    expect(ctx?.consentScopes).toBeNull();
    await s.consents.save({ userId, clientId: c.clientId, scopes: ['openid', 'email'], createdAt: NOW, updatedAt: NOW });
    expect((await s.tokens.grantContext('g-code'))?.consentScopes).toEqual(['openid', 'email']);
    await s.consents.save({ userId, clientId: c.clientId, scopes: ['openid'], createdAt: NOW, updatedAt: NOW + 1 });
    expect((await s.consents.find(userId, c.clientId))?.scopes).toEqual(['openid']);
    expect((await s.consents.listByUser(userId)).length).toBe(1);
    expect(await s.consents.delete(userId, c.clientId)).toBe(true);
    expect(await s.consents.delete(userId, c.clientId)).toBe(false);
  });

  it.skipIf(skip)('refresh tokens: used once atomically; another client cannot spend it; reuse names the grant', async () => {
    const c = sampleClient();
    await s.clients.insert(c);
    await t.db.insertInto('grants').values({ id: 'g-rt', client_id: c.clientId, user_id: null, scope: 's', created_at: NOW, expires_at: NOW + 100, revoked_at: null }).execute();
    await s.tokens.insertRefreshToken({ tokenHash: 'rt1', grantId: 'g-rt', clientId: c.clientId, userId: null, scope: 's', resource: null, authTime: NOW, sid: null, amr: null, parentHash: null, createdAt: NOW, expiresAt: NOW + 100, usedAt: null, revokedAt: null });
    expect(await s.tokens.useRefreshToken('rt1', 'other-client', NOW)).toEqual({ otherClient: true });
    const both = await Promise.all([1, 2, 3].map(() => s.tokens.useRefreshToken('rt1', c.clientId, NOW + 1)));
    expect(both.filter((r) => r && 'token' in r).length).toBe(1);
    expect(both.filter((r) => r && 'reusedGrantId' in r).length).toBe(2);
  });

  it.skipIf(skip)('sessions: round trip, touch, delete by sid', async () => {
    const userId = randomUUID();
    await s.users.insert({ id: userId, email: `${userId}@x.test`, emailVerified: false, givenName: null, familyName: null, name: null, passwordHash: null, disabledAt: null, createdAt: NOW, updatedAt: NOW });
    const session = { id: 'sess', secretHash: 'h', userId, sid: 'sid-1', authTime: NOW, amr: ['pwd'], createdAt: NOW, lastSeenAt: NOW, expiresAt: NOW + 10 };
    await s.sessions.insert(session);
    expect(await s.sessions.find('sess')).toEqual(session);
    await s.sessions.touch('sess', NOW + 5);
    expect((await s.sessions.find('sess'))?.lastSeenAt).toBe(NOW + 5);
    await s.sessions.deleteBySid('sid-1');
    expect(await s.sessions.find('sess')).toBeUndefined();
  });

  it.skipIf(skip)('foreign keys are enforced', async () => {
    await expect(
      t.db.insertInto('client_secrets').values({ id: 'x', client_id: 'nope', hash: 'h', kind: 'argon2id', created_at: NOW, expires_at: null }).execute(),
    ).rejects.toThrow();
    if (dialect === 'sqlite') {
      const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(t.db);
      expect(mode.rows[0]?.journal_mode).toBe('wal');
    }
  });
});
