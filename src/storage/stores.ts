import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';
import { kyselyUserStore } from './kysely/user.kysely.js';
import { kyselyProjectStore } from './kysely/project.kysely.js';
import { kyselyProviderStore } from './kysely/provider.kysely.js';
import { kyselyKeyStore } from './kysely/key.kysely.js';
import { kyselyClientStore } from './kysely/client.kysely.js';
import { kyselyTokenStore } from './kysely/token.kysely.js';
import { kyselyRegistrationTokenStore } from './kysely/registration-token.kysely.js';
import { kyselyCodeStore } from './kysely/code.kysely.js';
import { kyselyConsentStore, kyselySessionStore } from './kysely/session.kysely.js';
import { kyselyScopeStore } from './kysely/scope.kysely.js';
import { kyselyUserAccessStore } from './kysely/user-access.kysely.js';
import { kyselyAuditStore } from './kysely/audit.kysely.js';
import { kyselySessionClientStore } from './kysely/session-client.kysely.js';
import { withConflictRetry } from './retry.js';
import { kyselyPushedRequestStore } from './kysely/par.kysely.js';
import { kyselyDeviceAuthorizationStore } from './kysely/device.kysely.js';

/** A database handle or an open transaction: every store works on either. */
export type Executor = Kysely<Database> | Transaction<Database>;

/** Runs `fn` in a transaction, joining the caller's transaction when there already is one. */
export async function inTransaction<T>(db: Executor, fn: (tx: Transaction<Database>) => Promise<T>): Promise<T> {
  if (db.isTransaction) return fn(db as Transaction<Database>);
  return withConflictRetry(() => db.transaction().execute(fn));
}

export function createStores(db: Executor) {
  return {
    users: kyselyUserStore(db),
    projects: kyselyProjectStore(db),
    providers: kyselyProviderStore(db),
    keys: kyselyKeyStore(db),
    clients: kyselyClientStore(db),
    tokens: kyselyTokenStore(db),
    registrationTokens: kyselyRegistrationTokenStore(db),
    codes: kyselyCodeStore(db),
    sessions: kyselySessionStore(db),
    consents: kyselyConsentStore(db),
    scopes: kyselyScopeStore(db),
    access: kyselyUserAccessStore(db),
    audit: kyselyAuditStore(db),
    sessionClients: kyselySessionClientStore(db),
    pushedRequests: kyselyPushedRequestStore(db),
    devices: kyselyDeviceAuthorizationStore(db),
  };
}

export type Stores = ReturnType<typeof createStores>;

/** The stores the token grants use inside their transaction (built per transaction, so only these). */
export function createGrantStores(db: Executor) {
  return { codes: kyselyCodeStore(db), tokens: kyselyTokenStore(db), users: kyselyUserStore(db), consents: kyselyConsentStore(db), audit: kyselyAuditStore(db) };
}

/** The stores the consent decision uses inside its transaction. */
export function createDecisionStores(db: Executor) {
  return {
    consents: kyselyConsentStore(db),
    codes: kyselyCodeStore(db),
    sessions: kyselySessionStore(db),
    users: kyselyUserStore(db),
    audit: kyselyAuditStore(db),
    // The completion of a device authorization (authorize/completion.ts) commits with the consent.
    completions: kyselyDeviceAuthorizationStore(db),
  };
}

/** `transaction(fn)`: every store `fn` touches commits together or not at all. */
export function unitOfWork(db: Kysely<Database>) {
  return <T>(fn: (stores: Stores) => Promise<T>): Promise<T> => withConflictRetry(() => db.transaction().execute((tx) => fn(createStores(tx))));
}
