import { describe, expect, it } from 'vitest';
import { newUserCode, normaliseUserCode, USER_CODE_ALPHABET } from './user-code.js';

describe('user codes (RFC 8628 §6.1)', () => {
  it('are two dash-joined groups of four from the low-ambiguity alphabet', () => {
    for (let i = 0; i < 200; i++) {
      const code = newUserCode();
      expect(code).toMatch(new RegExp(`^[${USER_CODE_ALPHABET}]{4}-[${USER_CODE_ALPHABET}]{4}$`));
      expect(normaliseUserCode(code)).toBe(code.replace('-', ''));
    }
  });

  it('are compared case- and separator-insensitively', () => {
    expect(normaliseUserCode('bcdf ghjk')).toBe('BCDFGHJK');
    expect(normaliseUserCode(' BcDf-gHjK ')).toBe('BCDFGHJK');
    expect(normaliseUserCode('bcdfghjk')).toBe('BCDFGHJK');
  });

  it('refuse anything that cannot be a code', () => {
    expect(normaliseUserCode('BCDF-GHJ')).toBeUndefined();
    expect(normaliseUserCode('ABCD-EFGH')).toBeUndefined();
    expect(normaliseUserCode('BCDF-GHJ1')).toBeUndefined();
    expect(normaliseUserCode('')).toBeUndefined();
  });
});
