import type { BrowserSession, SessionStore } from '../../sessions/session.store.js';
import type { ConsentStore } from '../../grants/consent.store.js';
import type { Executor } from '../stores.js';
import { placeholderRow, prepared } from '../prepared.js';

export const SESSION_COLUMNS = ['id', 'secret_hash', 'user_id', 'sid', 'auth_time', 'amr', 'created_at', 'last_seen_at', 'expires_at'] as const;
/** A session as its row, keyed by SESSION_COLUMNS (also written by the one-statement completion, code.kysely.ts). */
export const sessionRow = (s: BrowserSession) => ({
  id: s.id,
  secret_hash: s.secretHash,
  user_id: s.userId,
  sid: s.sid,
  auth_time: s.authTime,
  amr: JSON.stringify(s.amr),
  created_at: s.createdAt,
  last_seen_at: s.lastSeenAt,
  expires_at: s.expiresAt,
});
/** Parameters: SESSION_COLUMNS in order. */
const INSERT_SESSION = (db: Executor) => db.insertInto('browser_sessions').values(placeholderRow(SESSION_COLUMNS));
const FIND_SESSION = (db: Executor) => db.selectFrom('browser_sessions').selectAll().where('id', '=', '');
/** Parameters: user_id, client_id, scope, created_at, updated_at. Insert or replace the scope. */
const SAVE_CONSENT = (db: Executor) =>
  db
    .insertInto('consents')
    .values(placeholderRow(['user_id', 'client_id', 'scope', 'created_at', 'updated_at']))
    .onConflict((oc) =>
      oc.columns(['user_id', 'client_id']).doUpdateSet((eb) => ({ scope: eb.ref('excluded.scope'), updated_at: eb.ref('excluded.updated_at') })),
    );
/** Parameters: user_id, client_id. */
const FIND_CONSENT = (db: Executor) => db.selectFrom('consents').selectAll().where('user_id', '=', '').where('client_id', '=', '');

export function kyselySessionStore(db: Executor): SessionStore {
  const insert = prepared(db, INSERT_SESSION);
  const find = prepared(db, FIND_SESSION);
  return {
    async insert(s) {
      const row = sessionRow(s);
      await insert(...SESSION_COLUMNS.map((c) => row[c]));
    },
    async find(id) {
      const [r] = await find(id);
      return (
        r && {
          id: r.id,
          secretHash: r.secret_hash,
          userId: r.user_id,
          sid: r.sid,
          authTime: r.auth_time,
          amr: JSON.parse(r.amr) as string[],
          createdAt: r.created_at,
          lastSeenAt: r.last_seen_at,
          expiresAt: r.expires_at,
        }
      );
    },
    async touch(id, lastSeenAt) {
      await db.updateTable('browser_sessions').set({ last_seen_at: lastSeenAt }).where('id', '=', id).execute();
    },
    async delete(id) {
      await db.deleteFrom('browser_sessions').where('id', '=', id).execute();
    },
    async deleteBySid(sid) {
      await db.deleteFrom('browser_sessions').where('sid', '=', sid).execute();
    },
  };
}

export function kyselyConsentStore(db: Executor): ConsentStore {
  const toConsent = (r: { user_id: string; client_id: string; scope: string; created_at: number; updated_at: number }) => ({
    userId: r.user_id,
    clientId: r.client_id,
    scopes: r.scope ? r.scope.split(' ') : [],
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  });
  const find = prepared(db, FIND_CONSENT);
  const save = prepared(db, SAVE_CONSENT);
  return {
    async find(userId, clientId) {
      const [r] = await find(userId, clientId);
      return r && toConsent(r);
    },
    async save(c) {
      await save(c.userId, c.clientId, c.scopes.join(' '), c.createdAt, c.updatedAt);
    },
    async listByUser(userId) {
      return (await db.selectFrom('consents').selectAll().where('user_id', '=', userId).orderBy('client_id').execute()).map(toConsent);
    },
    async delete(userId, clientId) {
      const r = await db.deleteFrom('consents').where('user_id', '=', userId).where('client_id', '=', clientId).executeTakeFirst();
      return r.numDeletedRows > 0n;
    },
  };
}
