import { sql, type Selectable } from 'kysely';
import type { DeviceAuthorization, DeviceAuthorizationStore, DeviceStatus } from '../../device/device-authorization.store.js';
import type { DeviceAuthorizationsTable } from '../schema.js';
import { inTransaction, type Executor } from '../stores.js';

const TABLE = 'device_authorizations';

const toDevice = (r: Selectable<DeviceAuthorizationsTable>): DeviceAuthorization => ({
  id: r.id,
  clientId: r.client_id,
  deviceCodeHash: r.device_code_hash,
  userCodeHash: r.user_code_hash,
  scopes: r.scope ? r.scope.split(' ') : [],
  resource: r.resource,
  status: r.status as DeviceStatus,
  userId: r.user_id,
  grantId: r.grant_id,
  authTime: r.auth_time === null ? null : Number(r.auth_time),
  amr: r.amr === null ? null : (JSON.parse(r.amr) as string[]),
  interval: Number(r.poll_interval),
  lastPolledAt: r.last_polled_at === null ? null : Number(r.last_polled_at),
  createdAt: Number(r.created_at),
  expiresAt: Number(r.expires_at),
});

export function kyselyDeviceAuthorizationStore(db: Executor): DeviceAuthorizationStore {
  return {
    async insert(d) {
      const inserted = await db
        .insertInto(TABLE)
        .values({
          id: d.id,
          client_id: d.clientId,
          device_code_hash: d.deviceCodeHash,
          user_code_hash: d.userCodeHash,
          scope: d.scopes.join(' '),
          resource: d.resource,
          status: d.status,
          user_id: null,
          grant_id: null,
          auth_time: null,
          amr: null,
          poll_interval: d.interval,
          last_polled_at: null,
          created_at: d.createdAt,
          expires_at: d.expiresAt,
        })
        .onConflict((oc) => oc.doNothing())
        .returning('id')
        .execute();
      return inserted.length === 1;
    },
    async findByDeviceCode(hash) {
      const r = await db.selectFrom(TABLE).selectAll().where('device_code_hash', '=', hash).executeTakeFirst();
      return r ? toDevice(r) : undefined;
    },
    async findByUserCode(hash) {
      const r = await db.selectFrom(TABLE).selectAll().where('user_code_hash', '=', hash).executeTakeFirst();
      return r ? toDevice(r) : undefined;
    },
    async poll(id, now) {
      const recorded = await db
        .updateTable(TABLE)
        .set({ last_polled_at: now })
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .where((eb) => eb.or([eb('last_polled_at', 'is', null), eb(sql<number>`last_polled_at + poll_interval`, '<=', now)]))
        .returning('id')
        .execute();
      if (recorded.length === 1) return { kind: 'pending' };
      // RFC 8628 §3.5: too fast; the interval grows by 5 s for this device code from now on.
      const slowed = await db
        .updateTable(TABLE)
        .set({ last_polled_at: now, poll_interval: sql<number>`poll_interval + 5` })
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .returning('poll_interval')
        .execute();
      return slowed[0] ? { kind: 'slow_down', interval: Number(slowed[0].poll_interval) } : { kind: 'pending' };
    },
    async consume(hash, clientId, now) {
      const r = await db
        .updateTable(TABLE)
        .set({ status: 'consumed', last_polled_at: now })
        .where('device_code_hash', '=', hash)
        .where('client_id', '=', clientId)
        .where('status', '=', 'approved')
        .where('expires_at', '>', now)
        .returningAll()
        .executeTakeFirst();
      return r ? toDevice(r) : undefined;
    },
    async approve(id, grant, approval, now) {
      return inTransaction(db, async (tx) => {
        const approved = await tx
          .updateTable(TABLE)
          .set({ status: 'approved', user_id: approval.userId, grant_id: grant.id, auth_time: approval.authTime, amr: JSON.stringify(approval.amr) })
          .where('id', '=', id)
          .where('status', '=', 'pending')
          .where('expires_at', '>', now)
          .returning('id')
          .execute();
        if (approved.length === 0) return false;
        await tx
          .insertInto('grants')
          .values({
            id: grant.id,
            client_id: grant.clientId,
            user_id: grant.userId,
            scope: grant.scope,
            created_at: grant.createdAt,
            expires_at: grant.expiresAt,
            revoked_at: null,
            claims: grant.claims ?? null,
          })
          .execute();
        return true;
      });
    },
    async deny(id, now) {
      await db.updateTable(TABLE).set({ status: 'denied' }).where('id', '=', id).where('status', '=', 'pending').where('expires_at', '>', now).execute();
    },
    async purgeExpired(before) {
      return Number((await db.deleteFrom(TABLE).where('expires_at', '<=', before).executeTakeFirst()).numDeletedRows);
    },
  };
}
