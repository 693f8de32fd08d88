/**
 * Browser SSO sessions, lucia style: the cookie holds `id.secret`; the database keeps only sha256(secret),
 * looked up by id and compared in constant time. Absolute lifetime plus idle timeout.
 */
import type { Clock } from '../oauth/clock.js';
import { constantTimeEqual, sha256 } from '../oauth/hash.js';
import { randomToken } from '../oauth/random.js';
import { parseSessionCookie, type HeldSession } from './session-cookie.js';
import type { BrowserSession, SessionStore } from './session.store.js';

export interface SessionDeps {
  store: SessionStore;
  clock: Clock;
  lifetime: number;
  idleTimeout: number;
}

export interface NewSession {
  session: BrowserSession;
  /** `id.secret`: the cookie value, which only the browser keeps. */
  cookie: string;
}

/** Touching on every request would be a write per request; once a minute is enough for the idle timeout. */
const TOUCH_EVERY = 60;

export class SessionService {
  private readonly deps: SessionDeps;

  constructor(deps: SessionDeps) {
    this.deps = deps;
  }

  /** A new session and its cookie value, not yet stored: the caller stores it, inside its own transaction. */
  issue(userId: string, amr: string[], authTime: number): NewSession {
    const now = this.deps.clock.now();
    const id = randomToken(16);
    const secret = randomToken(32);
    const session: BrowserSession = {
      id,
      secretHash: sha256(secret),
      userId,
      sid: randomToken(16),
      authTime,
      amr,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: now + this.deps.lifetime,
    };
    return { session, cookie: `${id}.${secret}` };
  }

  /** The live session a cookie value names, or undefined (unknown, forged, expired or idle). */
  async resolve(cookie: string | undefined): Promise<BrowserSession | undefined> {
    if (!cookie) return undefined;
    const dot = cookie.indexOf('.');
    if (dot < 1) return undefined;
    const session = await this.deps.store.find(cookie.slice(0, dot));
    if (!session || !constantTimeEqual(session.secretHash, sha256(cookie.slice(dot + 1)))) return undefined;
    const now = this.deps.clock.now();
    if (session.expiresAt <= now || session.lastSeenAt + this.deps.idleTimeout <= now) {
      await this.deps.store.delete(session.id);
      return undefined;
    }
    if (now - session.lastSeenAt >= TOUCH_EVERY) await this.deps.store.touch(session.id, now);
    return session;
  }

  /** Every live session a session cookie lists (session-cookie.ts), in the cookie's order: the current one first. */
  async resolveAll(cookie: string | undefined): Promise<HeldSession[]> {
    const held: HeldSession[] = [];
    for (const entry of parseSessionCookie(cookie)) {
      const session = await this.resolve(entry);
      if (session && !held.some((h) => h.session.id === session.id)) held.push({ session, entry });
    }
    return held;
  }

  async end(session: BrowserSession): Promise<void> {
    await this.deps.store.delete(session.id);
  }

  get lifetime(): number {
    return this.deps.lifetime;
  }
}
