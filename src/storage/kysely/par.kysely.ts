import type { PushedRequestStore } from '../../par/pushed-request.store.js';
import type { Executor } from '../stores.js';

export function kyselyPushedRequestStore(db: Executor): PushedRequestStore {
  return {
    async insert(r) {
      await db
        .insertInto('oauth_par_requests')
        .values({ reference_hash: r.referenceHash, id: r.id, client_id: r.clientId, params: JSON.stringify(r.params), created_at: r.createdAt, expires_at: r.expiresAt })
        .execute();
    },
    async find(referenceHash) {
      // One probe by primary key; `used` is the existence of the grant that took the push's id.
      const r = await db
        .selectFrom('oauth_par_requests')
        .leftJoin('grants', 'grants.id', 'oauth_par_requests.id')
        .selectAll('oauth_par_requests')
        .select('grants.id as grant_id')
        .where('oauth_par_requests.reference_hash', '=', referenceHash)
        .executeTakeFirst();
      if (!r) return undefined;
      return {
        id: r.id,
        referenceHash: r.reference_hash,
        clientId: r.client_id,
        params: JSON.parse(r.params) as Record<string, string>,
        createdAt: r.created_at,
        expiresAt: r.expires_at,
        used: r.grant_id !== null,
      };
    },
    async purgeExpired(before) {
      return Number((await db.deleteFrom('oauth_par_requests').where('expires_at', '<=', before).executeTakeFirst()).numDeletedRows);
    },
  };
}
