import { describe, expect, it } from 'vitest';
import { decideExchange, type PolicyInput } from './exchange-policy.js';

const base = (over: Partial<PolicyInput> = {}): PolicyInput => ({
  subject: { sub: 'u1', iss: 'https://as', exp: 1_000, aud: [], clientId: 'c1', scope: ['read', 'write'] },
  request: { scope: [], audience: undefined, resource: undefined },
  clientId: 'c1',
  allowedAudiences: ['https://api.b'],
  defaultAudience: 'https://as/default',
  now: 900,
  maxTtl: 3600,
  ...over,
});

describe('decideExchange', () => {
  it('keeps the subject scope and caps the expiry at the subject token', () => {
    expect(decideExchange(base())).toEqual({ scope: ['read', 'write'], aud: 'https://as/default', ttl: 100 });
  });
  it('narrows scope and targets an allowed audience', () => {
    const d = decideExchange(base({ request: { scope: ['read'], audience: 'https://api.b', resource: undefined } }));
    expect(d).toMatchObject({ scope: ['read'], aud: 'https://api.b' });
  });
  it('refuses scope widening with invalid_scope', () => {
    expect(() => decideExchange(base({ request: { scope: ['admin'], audience: undefined, resource: undefined } }))).toThrow(expect.objectContaining({ error: 'invalid_scope' }));
  });
  it('refuses an audience the client may not target with invalid_target', () => {
    expect(() => decideExchange(base({ request: { scope: [], audience: 'https://evil', resource: undefined } }))).toThrow(expect.objectContaining({ error: 'invalid_target' }));
  });
  it('refuses a subject token neither issued to nor addressed to the client', () => {
    const subject = { sub: 'u1', iss: 'https://as', exp: 1_000, aud: ['https://elsewhere'], clientId: 'c2', scope: [] };
    expect(() => decideExchange(base({ subject }))).toThrow(expect.objectContaining({ error: 'invalid_request' }));
    expect(decideExchange(base({ subject: { ...subject, aud: ['https://api.b'] } })).aud).toBe('https://as/default');
  });
  it('refuses an expired subject token', () => {
    expect(() => decideExchange(base({ now: 1_000 }))).toThrow(expect.objectContaining({ error: 'invalid_request' }));
  });
  it('nests a prior act under the new actor (§4.1)', () => {
    const d = decideExchange(base({
      subject: { sub: 'u1', iss: 'https://as', exp: 1_000, aud: [], clientId: 'c1', scope: [], act: { sub: 'first' } },
      actor: { sub: 'svc', iss: 'https://as', exp: 2_000, aud: [], scope: [] },
    }));
    expect(d.act).toEqual({ sub: 'svc', iss: 'https://as', act: { sub: 'first' } });
  });
  it('honours may_act (§4.4)', () => {
    const subject = { sub: 'u1', iss: 'https://as', exp: 1_000, aud: [], clientId: 'c1', scope: [], mayAct: { sub: 'svc' } };
    expect(decideExchange(base({ subject, actor: { sub: 'svc', iss: 'https://as', exp: 2_000, aud: [], scope: [] } })).act?.['sub']).toBe('svc');
    expect(() => decideExchange(base({ subject, actor: { sub: 'other', iss: 'https://as', exp: 2_000, aud: [], scope: [] } }))).toThrow(expect.objectContaining({ error: 'invalid_request' }));
  });
});
