import type { DpopJtiStore } from '../../dpop/dpop-jti.store.js';
import type { Executor } from '../stores.js';

export function kyselyDpopJtiStore(db: Executor): DpopJtiStore {
  return {
    async useAssertionJti(jtiHash, expiresAt, now) {
      const r = await db
        .insertInto('dpop_proof_jtis')
        .values({ jti_hash: jtiHash, expires_at: expiresAt })
        // An expired row may be reused; a live one may not.
        .onConflict((oc) => oc.column('jti_hash').doUpdateSet({ expires_at: expiresAt }).where('dpop_proof_jtis.expires_at', '<=', now))
        .executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
    },
    async purgeExpired(now) {
      return Number((await db.deleteFrom('dpop_proof_jtis').where('expires_at', '<=', now).executeTakeFirst()).numDeletedRows);
    },
  };
}
