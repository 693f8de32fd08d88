import { InvalidScope } from './errors.js';

/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), space-delimited. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

export function isScopeToken(value: string): boolean {
  return SCOPE_TOKEN.test(value);
}

/** Parses a scope parameter into unique tokens, in order. */
export function parseScope(value: string | undefined): string[] {
  if (value === undefined || value === '') return [];
  const tokens = value.split(' ');
  if (tokens.some((t) => !isScopeToken(t))) throw new InvalidScope('scope is malformed');
  return [...new Set(tokens)];
}

/** Requested scopes must all be allowed (RFC 6749 §3.3: anything else is invalid_scope). */
export function grantScopes(requested: string[], allowed: readonly string[]): string[] {
  const denied = requested.filter((s) => !allowed.includes(s));
  if (denied.length) throw new InvalidScope(`scope not allowed for this client: ${denied.join(' ')}`);
  return requested;
}
