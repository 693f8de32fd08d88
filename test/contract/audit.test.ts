/**
 * Contract of the audit store (issue 9, item 7) on SQLite and PostgreSQL: append, newest-first listing with
 * filters and a stable cursor, the retention purge, and an event written in a transaction that rolls back.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditEvent, record } from '../../src/audit/audit-event.js';
import { AuditService } from '../../src/audit/audit.service.js';
import { createStores, unitOfWork, type Stores } from '../../src/storage/stores.js';
import { testDatabase, type TestDb } from '../helpers/database.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { DIALECTS } from '../helpers/server.js';

const pg = await postgresAvailable();
const NOW = 1_800_000_000;

describe.each(DIALECTS)('audit store contract (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let t: TestDb;
  let s: Stores;
  beforeEach(async () => {
    if (skip) return;
    t = await testDatabase(dialect);
    s = createStores(t.db);
  });
  afterEach(async () => t?.cleanup());

  it.skipIf(skip)('append and list round-trip every field, newest first', async () => {
    const first = auditEvent(NOW, { action: 'client.created', target: { type: 'client', id: 'c1' }, projectId: 'p1', detail: { registrar: 'operator' } }, {
      requestId: 'req-1',
      ip: '203.0.113.9',
      userAgent: 'ua/1',
      actor: { type: 'user', id: 'u1' },
    });
    const second = auditEvent(NOW, { action: 'signin.failure', outcome: 'failure' });
    await s.audit.append(first);
    await s.audit.append(second);
    const listed = await s.audit.list({ limit: 10 });
    expect(listed).toEqual([second, first]);
    expect(listed[1]).toMatchObject({ actorType: 'user', actorId: 'u1', requestId: 'req-1', ip: '203.0.113.9', detail: { registrar: 'operator' } });
    expect(listed[0]).toMatchObject({ actorType: 'system', actorId: null, targetType: null, outcome: 'failure', detail: null });
  });

  it.skipIf(skip)('filters by since, actor, exact action and action prefix', async () => {
    await record(s.audit, NOW - 100, { action: 'client.created', actor: { type: 'user', id: 'alice' } });
    await record(s.audit, NOW - 50, { action: 'client.secret_rotated', actor: { type: 'user', id: 'bob' } });
    await record(s.audit, NOW, { action: 'clients_x.odd', actor: { type: 'user', id: 'alice' } });
    await record(s.audit, NOW, { action: 'signin.success', actor: { type: 'user', id: 'alice' } });
    const actions = async (q: Parameters<Stores['audit']['list']>[0]) => (await s.audit.list(q)).map((e) => e.action);
    expect(await actions({ limit: 10, since: NOW - 50 })).toEqual(['signin.success', 'clients_x.odd', 'client.secret_rotated']);
    expect(await actions({ limit: 10, actorId: 'bob' })).toEqual(['client.secret_rotated']);
    expect(await actions({ limit: 10, action: 'signin.success' })).toEqual(['signin.success']);
    // `_` is literal in the prefix: client.* never matches clients_x.
    expect(await actions({ limit: 10, action: 'client.*' })).toEqual(['client.secret_rotated', 'client.created']);
    expect(await actions({ limit: 10, action: 'client_.*' })).toEqual([]);
    expect(await actions({ limit: 10, actorId: 'alice', action: 'client.*', since: NOW - 200 })).toEqual(['client.created']);
  });

  it.skipIf(skip)('cursor pages never skip or repeat an event, even with events added between pages', async () => {
    const audit = new AuditService({ store: s.audit, clock: { now: () => NOW }, retention: 0 });
    for (let i = 0; i < 7; i++) await record(s.audit, NOW - 10 + (i % 3), { action: 'signin.success', detail: { n: i } });
    const before = (await s.audit.list({ limit: 100 })).map((e) => e.id);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const p = await audit.list({ limit: 3, cursor });
      seen.push(...p.events.map((e) => e.id));
      // A newer event arriving meanwhile lands before the first page, never inside the pages still to come.
      await record(s.audit, NOW, { action: 'signin.success' });
      if (!p.nextCursor) break;
      cursor = p.nextCursor;
    }
    expect(seen).toEqual(before);
    await expect(audit.list({ cursor: 'not-a-cursor' })).rejects.toMatchObject({ error: 'invalid_request' });
    await expect(audit.list({ limit: '0' })).rejects.toMatchObject({ error: 'invalid_request' });
  });

  it.skipIf(skip)('purgeBefore removes only events older than the cut-off; the service keeps the retention window', async () => {
    await record(s.audit, NOW - 1000, { action: 'a.old' });
    await record(s.audit, NOW - 10, { action: 'a.recent' });
    const audit = new AuditService({ store: s.audit, clock: { now: () => NOW }, retention: 100 });
    expect(await audit.purge()).toBe(1);
    expect((await s.audit.list({ limit: 10 })).map((e) => e.action)).toEqual(['a.recent']);
    expect(await new AuditService({ store: s.audit, clock: { now: () => NOW + 1e6 }, retention: 0 }).purge()).toBe(0);
  });

  it.skipIf(skip)('an event appended in a transaction that rolls back is gone with it', async () => {
    const transaction = unitOfWork(t.db);
    await expect(
      transaction(async (tx) => {
        await record(tx.audit, NOW, { action: 'client.deleted' });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    await transaction((tx) => record(tx.audit, NOW, { action: 'client.created' }));
    expect((await s.audit.list({ limit: 10 })).map((e) => e.action)).toEqual(['client.created']);
  });
});
