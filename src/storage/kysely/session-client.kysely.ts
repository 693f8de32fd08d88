import type { SessionClient, SessionClientStore } from '../../logout/session-client.store.js';
import type { Executor } from '../stores.js';

/** Called by the code store inside the transaction that issues a code for a session. */
export async function recordSessionClient(db: Executor, sid: string, clientId: string, userId: string, at: number): Promise<void> {
  await db
    .insertInto('session_clients')
    .values({ sid, client_id: clientId, user_id: userId, created_at: at })
    .onConflict((oc) => oc.columns(['sid', 'client_id']).doNothing())
    .execute();
}

export function kyselySessionClientStore(db: Executor): SessionClientStore {
  return {
    async take(by) {
      const q = db.deleteFrom('session_clients');
      const rows = await ('sid' in by ? q.where('sid', '=', by.sid) : q.where('user_id', '=', by.userId)).returning(['sid', 'client_id', 'user_id']).execute();
      return rows.map((r): SessionClient => ({ sid: r.sid, clientId: r.client_id, userId: r.user_id }));
    },
    async purgeOrphans() {
      const result = await db
        .deleteFrom('session_clients')
        .where(({ not, exists, selectFrom }) => not(exists(selectFrom('browser_sessions').select('browser_sessions.id').whereRef('browser_sessions.sid', '=', 'session_clients.sid'))))
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
