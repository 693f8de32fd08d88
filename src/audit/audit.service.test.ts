import { describe, expect, it } from 'vitest';
import { auditEvent, EVENT_ID } from './audit-event.js';
import { AuditService, MAX_LIMIT } from './audit.service.js';
import type { AuditQuery, AuditStore } from './audit.store.js';

const NOW = 1_800_000_000;

function service() {
  const queries: AuditQuery[] = [];
  const store: AuditStore = {
    append: async () => undefined,
    list: async (q) => (queries.push(q), []),
    purgeBefore: async () => 0,
  };
  return { audit: new AuditService({ store, clock: { now: () => NOW }, retention: 0 }), queries };
}

describe('AuditService.list filters', () => {
  it('reads since as a duration back, epoch seconds or ISO 8601', async () => {
    const { audit, queries } = service();
    for (const since of ['1h', '90m', String(NOW - 5), '2027-01-15T08:00:00Z']) await audit.list({ since });
    expect(queries.map((q) => q.since)).toEqual([NOW - 3600, NOW - 5400, NOW - 5, Date.parse('2027-01-15T08:00:00Z') / 1000]);
  });

  it('refuses what it cannot read with invalid_request, and asks one row more than the page', async () => {
    const { audit, queries } = service();
    for (const bad of [{ since: 'soon' }, { limit: 0 }, { limit: MAX_LIMIT + 1 }, { limit: '1e3' }, { action: 'a.*.b' }, { cursor: '1' }, { actor: '' }]) {
      await expect(audit.list(bad), JSON.stringify(bad)).rejects.toMatchObject({ error: 'invalid_request' });
    }
    await audit.list({ limit: '10', action: 'client.*' });
    expect(queries).toEqual([{ since: undefined, actorId: undefined, action: 'client.*', before: undefined, limit: 11 }]);
  });
});

describe('auditEvent', () => {
  it('makes time-ordered ids and clips what the client chose', () => {
    const a = auditEvent(NOW, { action: 'x.y' }, { userAgent: 'u'.repeat(1000), ip: '198.51.100.7' });
    const b = auditEvent(NOW, { action: 'x.y' });
    const c = auditEvent(NOW - 1, { action: 'x.y' });
    expect(a.id).toMatch(EVENT_ID);
    expect(a.id < b.id).toBe(true);
    expect(c.id < a.id).toBe(true);
    expect(a.userAgent).toHaveLength(256);
    expect(b).toMatchObject({ actorType: 'system', actorId: null, outcome: 'success', ip: null });
  });
});
