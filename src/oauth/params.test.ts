import { describe, expect, it } from 'vitest';
import { controlCharacterProblem } from './params.js';

describe('controlCharacterProblem', () => {
  it('accepts clean input and TAB/LF/CR in free text', () => {
    expect(controlCharacterProblem({ client_name: 'A\tB\r\nC', state: 'x\ny', nested: { a: ['b', { c: 'd' }] } })).toBeUndefined();
    expect(controlCharacterProblem(undefined)).toBeUndefined();
    expect(controlCharacterProblem({ n: 1, b: true, z: null })).toBeUndefined();
  });
  it('refuses NUL anywhere, naming the key', () => {
    expect(controlCharacterProblem({ nonce: 'n\u0000' })).toBe('nonce');
    expect(controlCharacterProblem({ jwks: { keys: [{ kty: 'RSA', n: 'a\u0000' }] } })).toBe('n');
  });
  it('refuses every control character in identifiers, URIs and path parameters', () => {
    expect(controlCharacterProblem({ redirect_uris: ['https://a.example/cb\n'] })).toBe('redirect_uris');
    expect(controlCharacterProblem({ client_id: 'a\tb' })).toBe('client_id');
    expect(controlCharacterProblem({ id: 'x\r' }, true)).toBe('id');
    expect(controlCharacterProblem({ client_name: 'x\u001b[31m' })).toBe('client_name');
    expect(controlCharacterProblem({ client_name: 'x\u007f' })).toBe('client_name');
  });
  it('refuses control characters in keys without echoing them', () => {
    expect(controlCharacterProblem({ 'a\u0000': 'b' })).toBe('');
  });
  it('walks deep nesting without recursion', () => {
    let deep: unknown = 'x\u0000';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(controlCharacterProblem({ a: deep })).toBe('a');
  });
});
