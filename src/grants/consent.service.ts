/** Consent remembered per (user, client): a request within the consented scopes does not ask again. */
import { record, type AuditContext } from '../audit/audit-event.js';
import type { AuditStore } from '../audit/audit.store.js';
import type { Clock } from '../oauth/clock.js';
import { NotFound } from '../oauth/errors.js';
import type { Consent, ConsentStore } from './consent.store.js';

export interface GrantRevoker {
  /** Revokes every grant (and so every refresh token) of a user with a client. */
  revokeUserGrants(userId: string, clientId: string, now: number): Promise<void>;
}

/** Records consent in `store` (which may be bound to a caller's transaction), widening what was consented. */
export async function recordConsent(store: ConsentStore, userId: string, clientId: string, scopes: readonly string[], now: number): Promise<void> {
  const current = await store.find(userId, clientId);
  const merged = [...new Set([...(current?.scopes ?? []), ...scopes])];
  await store.save({ userId, clientId, scopes: merged, createdAt: current?.createdAt ?? now, updatedAt: now });
}

export interface ConsentDeps {
  store: ConsentStore;
  clock: Clock;
  /** Runs `fn` with stores bound to one transaction: the consent, its grants and the audit event go together. */
  transaction<T>(fn: (stores: { consents: ConsentStore; grants: GrantRevoker; audit: AuditStore }) => Promise<T>): Promise<T>;
}

export class ConsentService {
  private readonly deps: ConsentDeps;

  constructor(deps: ConsentDeps) {
    this.deps = deps;
  }

  /** True when the user already consented to every requested scope for this client. */
  async covers(userId: string, clientId: string, scopes: readonly string[]): Promise<boolean> {
    const consent = await this.deps.store.find(userId, clientId);
    return consent !== undefined && scopes.every((s) => consent.scopes.includes(s));
  }

  /** Records consent, widening what was consented before. */
  async grant(userId: string, clientId: string, scopes: readonly string[]): Promise<void> {
    await recordConsent(this.deps.store, userId, clientId, scopes, this.deps.clock.now());
  }

  async list(userId: string): Promise<Consent[]> {
    return this.deps.store.listByUser(userId);
  }

  /** Revoking consent revokes the grants it backed, so their refresh tokens stop working. */
  async revoke(userId: string, clientId: string, ctx?: AuditContext): Promise<void> {
    const now = this.deps.clock.now();
    await this.deps.transaction(async ({ consents, grants, audit }) => {
      const deleted = await consents.delete(userId, clientId);
      if (!deleted) throw new NotFound(`no consent of user ${userId} for client ${clientId}`);
      await grants.revokeUserGrants(userId, clientId, now);
      const entry = { action: 'consent.revoked', target: { type: 'client', id: clientId }, detail: { user_id: userId } };
      await record(audit, now, entry, ctx);
    });
  }
}
