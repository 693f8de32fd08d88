/** Consent remembered per (user, client): a request within the consented scopes does not ask again. */
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

export class ConsentService {
  private readonly deps: { store: ConsentStore; grants: GrantRevoker; clock: Clock };

  constructor(deps: { store: ConsentStore; grants: GrantRevoker; clock: Clock }) {
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
  async revoke(userId: string, clientId: string): Promise<void> {
    const deleted = await this.deps.store.delete(userId, clientId);
    if (!deleted) throw new NotFound(`no consent of user ${userId} for client ${clientId}`);
    await this.deps.grants.revokeUserGrants(userId, clientId, this.deps.clock.now());
  }
}
