/**
 * RFC 8628 §6.1 user codes: 8 characters from 20 consonants (no vowels, so no words; no digits, so nothing
 * to confuse with letters), shown as two groups of four joined by a dash (e.g. BCDF-GHJK): 20^8 ≈ 2^34.6 codes. Input is compared in normalised form:
 * spaces and dashes removed, upper case, so `bcdf ghjk` and `BCDF-GHJK` are the same code.
 */
import { randomInt } from 'node:crypto';

export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
export const USER_CODE_LENGTH = 8;

/** A fresh user code in its displayed form (four letters, a dash, four letters), from the CSPRNG without modulo bias. */
export function newUserCode(): string {
  let code = '';
  for (let i = 0; i < USER_CODE_LENGTH; i++) code += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)];
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** The normalised form a code is stored (hashed) and looked up by; undefined when it cannot be a user code. */
export function normaliseUserCode(input: string): string | undefined {
  const code = input.replace(/[\s-]/g, '').toUpperCase();
  if (code.length !== USER_CODE_LENGTH) return undefined;
  for (const ch of code) if (!USER_CODE_ALPHABET.includes(ch)) return undefined;
  return code;
}
