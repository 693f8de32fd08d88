import type { UserAccessStore } from '../../accounts/user-access.store.js';
import type { Executor } from '../stores.js';

export function kyselyUserAccessStore(db: Executor): UserAccessStore {
  return {
    async revokeAll(userId, now) {
      await db.deleteFrom('browser_sessions').where('user_id', '=', userId).execute();
      await db
        .updateTable('refresh_tokens')
        .set({ revoked_at: now })
        .where('grant_id', 'in', (eb) => eb.selectFrom('grants').select('id').where('user_id', '=', userId))
        .where('revoked_at', 'is', null)
        .execute();
      await db.updateTable('grants').set({ revoked_at: now }).where('user_id', '=', userId).where('revoked_at', 'is', null).execute();
    },
  };
}
