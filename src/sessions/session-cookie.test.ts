import { describe, expect, it } from 'vitest';
import { composeSessionCookie, MAX_SESSIONS_PER_BROWSER, parseSessionCookie, type HeldSession } from './session-cookie.js';
import type { BrowserSession } from './session.store.js';

const held = (id: string): HeldSession => ({ session: { id } as BrowserSession, entry: `${id}.secret-${id}` });

describe('session cookie (several sessions per browser)', () => {
  it('reads a single-session cookie of earlier versions as a list of one', () => {
    expect(parseSessionCookie('abc.def')).toEqual(['abc.def']);
    expect(parseSessionCookie(undefined)).toEqual([]);
    expect(parseSessionCookie('~a.b~~c.d~')).toEqual(['a.b', 'c.d']);
  });

  it('puts the new or chosen session first, keeps the others in order, drops the replaced one', () => {
    const list = [held('a'), held('b'), held('c')];
    expect(composeSessionCookie('n.x', list, new Set(['b']))).toBe('n.x~a.secret-a~c.secret-c');
    expect(composeSessionCookie('c.secret-c', list)).toBe('c.secret-c~a.secret-a~b.secret-b');
    expect(composeSessionCookie(undefined, list.slice(1))).toBe('b.secret-b~c.secret-c');
    expect(composeSessionCookie(undefined, [])).toBe('');
  });

  it(`holds at most ${MAX_SESSIONS_PER_BROWSER} sessions, dropping the least recently chosen`, () => {
    const list = Array.from({ length: MAX_SESSIONS_PER_BROWSER }, (_, i) => held(`s${i}`));
    const value = composeSessionCookie('new.x', list);
    expect(value.split('~')).toHaveLength(MAX_SESSIONS_PER_BROWSER);
    expect(value.startsWith('new.x~s0.')).toBe(true);
    expect(value).not.toContain(`s${MAX_SESSIONS_PER_BROWSER - 1}.`);
    expect(parseSessionCookie(Array(MAX_SESSIONS_PER_BROWSER + 3).fill('a.b').join('~'))).toHaveLength(MAX_SESSIONS_PER_BROWSER);
  });
});
