/**
 * One browser may hold several sessions (one per account it signed in to, for `prompt=select_account`). The
 * session cookie lists their `id.secret` values, the current session first, joined by `~` (not in base64url),
 * and is signed as a whole by the cookie signing. Each entry is still one session with its own `sid`, so
 * ending one (logout) leaves the others untouched.
 */
import type { BrowserSession } from './session.store.js';

/** Sessions one browser may hold; signing in to one more drops the least recently chosen. */
export const MAX_SESSIONS_PER_BROWSER = 5;

/** A live session of this browser with its cookie entry (`id.secret`). */
export interface HeldSession {
  session: BrowserSession;
  entry: string;
}

export function parseSessionCookie(value: string | undefined): string[] {
  if (!value) return [];
  return value.split('~').filter((e) => e.length > 0).slice(0, MAX_SESSIONS_PER_BROWSER);
}

/** The cookie value with `first` (if any) as the current session, followed by the others in their order. */
export function composeSessionCookie(first: string | undefined, held: readonly HeldSession[], without: ReadonlySet<string> = new Set()): string {
  const entries = [...(first ? [first] : []), ...held.filter((h) => !without.has(h.session.id) && h.entry !== first).map((h) => h.entry)];
  return entries.slice(0, MAX_SESSIONS_PER_BROWSER).join('~');
}
