import { sql } from 'kysely';
import type { RegistrationTokenStore } from '../../clients/registration-token.store.js';
import type { Executor } from '../stores.js';

export function kyselyRegistrationTokenStore(db: Executor): RegistrationTokenStore {
  return {
    async insert(t) {
      await db
        .insertInto('registration_tokens')
        .values({ token_hash: t.tokenHash, uses_remaining: t.usesRemaining, created_at: t.createdAt, expires_at: t.expiresAt })
        .execute();
    },
    async consume(tokenHash, now) {
      const r = await db
        .updateTable('registration_tokens')
        .set({ uses_remaining: sql`case when uses_remaining is null then null else uses_remaining - 1 end` })
        .where('token_hash', '=', tokenHash)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
        .where((eb) => eb.or([eb('uses_remaining', 'is', null), eb('uses_remaining', '>', 0)]))
        .executeTakeFirst();
      return r.numUpdatedRows === 1n;
    },
  };
}
