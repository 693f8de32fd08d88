/**
 * End-user accounts: creation, passwords (argon2id), disabling, and the claims each scope releases
 * (OpenID Connect Core §5.4).
 */
import { randomUUID } from 'node:crypto';
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import { record, type AuditContext } from '../audit/audit-event.js';
import type { AuditStore } from '../audit/audit.store.js';
import { applyProfile, isEmpty, type ClaimChanges } from '../claims/claim-input.js';
import { releaseClaims } from '../claims/release.js';
import { BoundedQueue } from '../oauth/bounded-queue.js';
import type { Clock } from '../oauth/clock.js';
import { Conflict, InvalidRequest, NotFound } from '../oauth/errors.js';
import { randomToken } from '../oauth/random.js';
import type { UserAccessStore } from './user-access.store.js';
import type { User, UserStore } from './user.store.js';

export interface AccountDeps {
  users: UserStore;
  clock: Clock;
  /**
   * Runs `fn` with stores bound to one transaction: an account change commits together with its audit event and,
   * where it must end the person's access (disable, delete, new password), with the revocation — or not at all.
   */
  transaction<T>(fn: (stores: { users: UserStore; access: UserAccessStore; audit: AuditStore }) => Promise<T>): Promise<T>;
  /** How many argon2id verifications may run at once (each holds 19 MiB). */
  hashConcurrency?: number;
  /** How many more may wait; beyond that verifyPassword throws TemporarilyUnavailable (503) at once. */
  hashQueueLength?: number;
  /** Told after a change that ended every session of the user has committed (Back-Channel Logout). */
  sessionsEnded?: (userId: string) => void;
}

export interface NewUser {
  email: string;
  password?: string | undefined;
  givenName?: string | undefined;
  familyName?: string | undefined;
  /** The full name as the person wrote it (sign-up); else made of the given and family names. */
  name?: string | undefined;
  emailVerified?: boolean | undefined;
  /** Standard claims (validated by parseClaimChanges); name defaults to given + family name. */
  claims?: ClaimChanges | undefined;
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;
const MIN_PASSWORD = 8;

export class AccountService {
  private readonly deps: AccountDeps;
  /**
   * Verified against when the email is unknown, so both failures cost one argon2id verification. Made on first
   * need: hashing holds 19 MiB, which a process that never sees a login should not pay for at startup.
   */
  private dummyHash: Promise<string> | undefined;
  /** argon2id holds 19 MiB per verification: a bound on concurrent ones bounds memory under a login flood. */
  private readonly hashing: BoundedQueue;

  constructor(deps: AccountDeps) {
    this.deps = deps;
    this.hashing = new BoundedQueue({ concurrency: deps.hashConcurrency ?? 1, maxWaiting: deps.hashQueueLength ?? 32 });
  }

  async create(input: NewUser, ctx?: AuditContext): Promise<User> {
    const email = input.email.trim().toLowerCase();
    if (!EMAIL.test(email) || email.length > 254) throw new InvalidRequest('email: must be an email address');
    if (input.password !== undefined) this.checkPassword(input.password);
    if (await this.deps.users.findByEmail(email)) throw new Conflict(`a user with email ${email} already exists`);
    const now = this.deps.clock.now();
    const givenName = input.claims?.given_name ?? input.givenName ?? null;
    const familyName = input.claims?.family_name ?? input.familyName ?? null;
    const name = input.claims?.name ?? (input.name?.trim() || [givenName, familyName].filter(Boolean).join(' ') || null);
    const user: User = {
      id: randomUUID(),
      email,
      emailVerified: input.emailVerified ?? false,
      givenName,
      familyName,
      name,
      passwordHash: input.password === undefined ? null : await argon2Hash(input.password),
      disabledAt: null,
      createdAt: now,
      updatedAt: now,
      profileClaims: applyProfile({}, input.claims?.profile ?? {}),
    };
    await this.deps.transaction(async ({ users, audit }) => {
      await users.insert(user);
      await users.insertIdentity({ id: randomUUID(), userId: user.id, provider: 'system', subject: user.id, createdAt: now });
      await record(audit, now, { action: 'user.created', target: { type: 'user', id: user.id } }, ctx);
    });
    return user;
  }

  async get(id: string): Promise<User> {
    const user = await this.deps.users.findById(id);
    if (!user) throw new NotFound(`user ${id} not found`);
    return user;
  }

  async find(id: string): Promise<User | undefined> {
    return this.deps.users.findById(id);
  }

  async findByEmailOrId(ref: string): Promise<User> {
    const user = ref.includes('@') ? await this.deps.users.findByEmail(ref) : await this.deps.users.findById(ref);
    if (!user) throw new NotFound(`user ${ref} not found`);
    return user;
  }

  async list(limit = 100, offset = 0): Promise<User[]> {
    return this.deps.users.list(limit, offset);
  }

  /**
   * Sets or clears standard claims (already validated by parseClaimChanges) and, with them, the email and its
   * verified flag; `updated_at` moves whenever anything changes.
   */
  async updateClaims(id: string, changes: ClaimChanges, email: { email?: string | undefined; emailVerified?: boolean | undefined }, ctx?: AuditContext): Promise<User> {
    const user = await this.get(id);
    if (isEmpty(changes) && email.email === undefined && email.emailVerified === undefined) return user;
    const update: Partial<Omit<User, 'id' | 'createdAt'>> = {};
    if (email.email !== undefined) {
      const e = email.email.trim().toLowerCase();
      if (!EMAIL.test(e) || e.length > 254) throw new InvalidRequest('email: must be an email address');
      const other = await this.deps.users.findByEmail(e);
      if (other && other.id !== id) throw new Conflict(`a user with email ${e} already exists`);
      update.email = e;
      // A new address is not verified unless the caller says so.
      if (e !== user.email && email.emailVerified === undefined) update.emailVerified = false;
    }
    if (email.emailVerified !== undefined) update.emailVerified = email.emailVerified;
    if (changes.name !== undefined) update.name = changes.name;
    if (changes.given_name !== undefined) update.givenName = changes.given_name;
    if (changes.family_name !== undefined) update.familyName = changes.family_name;
    if (Object.keys(changes.profile).length) update.profileClaims = applyProfile(user.profileClaims ?? {}, changes.profile);
    const now = this.deps.clock.now();
    // updated_at is a number of seconds: a second change within the same second still moves it forward.
    update.updatedAt = Math.max(now, user.updatedAt + 1);
    await this.deps.transaction(async ({ users, audit }) => {
      await users.update(id, update);
      await record(audit, now, { action: 'user.claims_updated', target: { type: 'user', id } }, ctx);
    });
    return this.get(id);
  }

  /** A new password ends every session, grant and refresh token of the account (whoever held the old one). */
  async setPassword(id: string, password: string, ctx?: AuditContext): Promise<void> {
    this.checkPassword(password);
    await this.get(id);
    const passwordHash = await argon2Hash(password);
    const now = this.deps.clock.now();
    await this.deps.transaction(async ({ users, access, audit }) => {
      await users.update(id, { passwordHash, updatedAt: now });
      await access.revokeAll(id, now);
      await record(audit, now, { action: 'user.password_set', target: { type: 'user', id } }, ctx);
    });
    this.deps.sessionsEnded?.(id);
  }

  /** Disabling ends the account's sessions, grants and refresh tokens in the same transaction. */
  async setDisabled(id: string, disabled: boolean, ctx?: AuditContext): Promise<User> {
    await this.get(id);
    const now = this.deps.clock.now();
    await this.deps.transaction(async ({ users, access, audit }) => {
      await users.update(id, { disabledAt: disabled ? now : null, updatedAt: now });
      if (disabled) await access.revokeAll(id, now);
      await record(audit, now, { action: disabled ? 'user.disabled' : 'user.enabled', target: { type: 'user', id } }, ctx);
    });
    if (disabled) this.deps.sessionsEnded?.(id);
    return this.get(id);
  }

  /** Deletes the account; its sessions, grants, tokens, consents, identities and memberships go with it. */
  async delete(id: string, ctx?: AuditContext): Promise<void> {
    await this.get(id);
    const now = this.deps.clock.now();
    await this.deps.transaction(async ({ users, access, audit }) => {
      await access.revokeAll(id, now);
      await users.delete(id);
      await record(audit, now, { action: 'user.deleted', target: { type: 'user', id } }, ctx);
    });
    this.deps.sessionsEnded?.(id);
  }

  /**
   * Records a refused sign-in (and `signin.lockout` when it started a lockout). The account is named only when
   * the typed email is an existing account's: anything else a person types there (a mistyped address, a
   * password in the wrong field) is never stored.
   */
  async recordSignInFailure(email: string, lockedOut: boolean, ctx?: AuditContext): Promise<void> {
    const user = EMAIL.test(email.trim()) ? await this.deps.users.findByEmail(email.trim()) : undefined;
    const entry = { outcome: 'failure' as const, actor: { type: 'user' as const, id: null }, target: user ? { type: 'user', id: user.id } : undefined };
    const now = this.deps.clock.now();
    await this.deps.transaction(async ({ audit }) => {
      await record(audit, now, { ...entry, action: 'signin.failure' }, ctx);
      if (lockedOut) await record(audit, now, { ...entry, action: 'signin.lockout' }, ctx);
    });
  }

  /**
   * Email + password login. Unknown email, wrong password and disabled account all return undefined after
   * exactly one argon2id verification, so neither the answer nor its timing tells them apart. Throws
   * TemporarilyUnavailable, before verifying anything, when the hashing queue is full.
   */
  async verifyPassword(email: string, password: string): Promise<User | undefined> {
    const user = EMAIL.test(email.trim()) ? await this.deps.users.findByEmail(email.trim()) : undefined;
    // Awaited on every path, so the one-time cost of making it cannot tell the first unknown email apart.
    const dummy = await (this.dummyHash ??= argon2Hash(randomToken()));
    const hash = user?.passwordHash ?? dummy;
    const ok = await this.hashing.run(() => argon2Verify(hash, password).catch(() => false));
    if (!ok || !user || !user.passwordHash || user.disabledAt !== null) return undefined;
    return user;
  }

  private checkPassword(password: string): void {
    if (password.length < MIN_PASSWORD) throw new InvalidRequest(`password: must be at least ${MIN_PASSWORD} characters`);
    if (password.length > 1024) throw new InvalidRequest('password: must be at most 1024 characters');
  }
}

/** OpenID Connect Core §5.4: the claims each scope releases (src/claims/release.ts has the rules). */
export function claimsFor(user: User, scopes: readonly string[]): Record<string, unknown> {
  return { sub: user.id, ...releaseClaims(user, { scopes, scopeClaims: true, requested: undefined }) };
}

/** Never a password hash: the admin view of a user. */
export const userView = (u: User) => ({
  id: u.id,
  email: u.email,
  email_verified: u.emailVerified,
  given_name: u.givenName,
  family_name: u.familyName,
  name: u.name,
  disabled: u.disabledAt !== null,
  ...u.profileClaims,
  created_at: u.createdAt,
  updated_at: u.updatedAt,
});
