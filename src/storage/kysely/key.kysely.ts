import type { Selectable } from 'kysely';
import type { JWK } from 'jose';
import type { KeyStore, StoredKey } from '../../keys/key.store.js';
import type { SigningKeysTable } from '../schema.js';
import type { Executor } from '../stores.js';
import { inTransaction } from '../stores.js';

const toKey = (r: Selectable<SigningKeysTable>): StoredKey => ({
  kid: r.kid,
  alg: r.alg,
  state: r.state,
  privateJwkEnc: r.private_jwk_enc,
  publicJwk: JSON.parse(r.public_jwk) as JWK,
  createdAt: r.created_at,
  activatedAt: r.activated_at,
  retiredAt: r.retired_at,
  publishUntil: r.publish_until,
});

const toRow = (k: StoredKey): SigningKeysTable => ({
  kid: k.kid,
  alg: k.alg,
  state: k.state,
  private_jwk_enc: k.privateJwkEnc,
  public_jwk: JSON.stringify(k.publicJwk),
  created_at: k.createdAt,
  activated_at: k.activatedAt,
  retired_at: k.retiredAt,
  publish_until: k.publishUntil,
});

export function kyselyKeyStore(db: Executor): KeyStore {
  return {
    async list() {
      return (await db.selectFrom('signing_keys').selectAll().orderBy('created_at').orderBy('kid').execute()).map(toKey);
    },
    async find(kid) {
      const r = await db.selectFrom('signing_keys').selectAll().where('kid', '=', kid).executeTakeFirst();
      return r && toKey(r);
    },
    async insert(k) {
      await db.insertInto('signing_keys').values(toRow(k)).execute();
    },
    async rotate(alg, promote, next, now, publishUntil) {
      await inTransaction(db, async (tx) => {
        await tx
          .updateTable('signing_keys')
          .set({ state: 'retired', retired_at: now, publish_until: publishUntil })
          .where('alg', '=', alg)
          .where('state', '=', 'active')
          .execute();
        const promoted = await tx
          .updateTable('signing_keys')
          .set({ state: 'active', activated_at: now })
          .where('kid', '=', promote)
          .where('state', '=', 'next')
          .executeTakeFirst();
        if (promoted.numUpdatedRows !== 1n) throw new Error('the next key changed during rotation; retry');
        await tx.insertInto('signing_keys').values(toRow(next)).execute();
      });
    },
    async deleteExpired(now) {
      const r = await db
        .deleteFrom('signing_keys')
        .where('state', '=', 'retired')
        .where('publish_until', '<=', now)
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
