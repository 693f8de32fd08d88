import { PostgresAdapter, sql, type Selectable } from 'kysely';
import type { GrantTokenStore, OneStatementRotated, OneStatementRotation, OpaqueAccessTokenRecord, RefreshTokenRecord, TokenStore } from '../../token/token.store.js';
import { toUser } from './user.kysely.js';
import type { AuthorizationCodesTable, RefreshTokensTable, UsersTable } from '../schema.js';
import { toCode } from './code.kysely.js';
import { inTransaction, type Executor } from '../stores.js';
import { placeholderRow, prepared } from '../prepared.js';

const toRefresh = (r: Selectable<RefreshTokensTable>): RefreshTokenRecord => ({
  tokenHash: r.token_hash,
  grantId: r.grant_id,
  clientId: r.client_id,
  userId: r.user_id,
  scope: r.scope,
  resource: r.resource,
  authTime: r.auth_time,
  sid: r.sid,
  amr: r.amr,
  parentHash: r.parent_hash,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  usedAt: r.used_at,
  revokedAt: r.revoked_at,
  dpopJkt: r.dpop_jkt,
  certificateThumbprint: r.cnf_x5t_s256,
});

/** Parameters: jti, grant id. One indexed probe: denylisted, or issued from a revoked grant. */
const REVOKED = (db: Executor) =>
  db
    .selectFrom('revoked_access_tokens')
    .select('jti')
    .where('jti', '=', '')
    .unionAll(db.selectFrom('grants').select('id as jti').where('id', '=', '').where('revoked_at', 'is not', null));
/** Parameters: now, token_hash, client_id. */
const USE_TOKEN = (db: Executor) =>
  db
    .updateTable('refresh_tokens')
    .set({ used_at: 0 })
    .where('token_hash', '=', '')
    .where('client_id', '=', '')
    .where('used_at', 'is', null)
    .where('revoked_at', 'is', null)
    .returningAll();
/**
 * Parameters: token_hash. Row-locks the token's grant while it is live (a write that changes nothing, portable
 * to both dialects) and returns its id and client. Every path that writes a token family takes the grant row
 * first (this, revokeGrant, and the new token's foreign key only after it), so two processes racing on one
 * family queue on one row instead of locking its tokens in opposite orders: that deadlocked on PostgreSQL
 * (issue 10 item 4). It also makes a reuse revocation wait for a concurrent rotation and then see its new
 * token. Once the family is revoked no row matches, so the requests still queued are released at once.
 */
const LOCK_FAMILY = (db: Executor) =>
  db
    .updateTable('grants')
    .set((eb) => ({ revoked_at: eb.ref('revoked_at') }))
    .where('id', '=', (eb) => eb.selectFrom('refresh_tokens').select('grant_id').where('token_hash', '=', ''))
    .where('revoked_at', 'is', null)
    .returning(['id', 'client_id']);
const TOKEN_OWNER = (db: Executor) => db.selectFrom('refresh_tokens').select(['grant_id', 'client_id']).where('token_hash', '=', '');
const GRANT_WITH_USER = (db: Executor) =>
  db
    .selectFrom('grants')
    .innerJoin('users', 'users.id', 'grants.user_id')
    .leftJoin('consents', (j) => j.onRef('consents.user_id', '=', 'grants.user_id').onRef('consents.client_id', '=', 'grants.client_id'))
    .selectAll('users')
    .select(['grants.revoked_at as grant_revoked_at', 'grants.expires_at as grant_expires_at', 'consents.scope as consent_scope', 'grants.claims as grant_claims'])
    .where('grants.id', '=', '');
const OPAQUE_COLUMNS = [
  'token_hash', 'jti', 'client_id', 'grant_id', 'sub', 'scope', 'aud', 'auth_time', 'cnf', 'issued_at', 'expires_at',
] as const;
/** Parameters: OPAQUE_COLUMNS, in order. */
const INSERT_OPAQUE = (db: Executor) => db.insertInto('opaque_access_tokens').values(placeholderRow(OPAQUE_COLUMNS));
/** Parameters: token_hash. The primary-key probe, with the grant's revocation joined on its primary key. */
const FIND_OPAQUE = (db: Executor) =>
  db
    .selectFrom('opaque_access_tokens')
    .leftJoin('grants', 'grants.id', 'opaque_access_tokens.grant_id')
    .selectAll('opaque_access_tokens')
    .select('grants.revoked_at as grant_revoked_at')
    .where('opaque_access_tokens.token_hash', '=', '');
const DELETE_OPAQUE = (db: Executor) => db.deleteFrom('opaque_access_tokens').where('token_hash', '=', '');

const REFRESH_COLUMNS = [
  'token_hash', 'grant_id', 'client_id', 'user_id', 'scope', 'resource', 'auth_time', 'sid', 'amr',
  'parent_hash', 'created_at', 'expires_at', 'used_at', 'revoked_at', 'dpop_jkt', 'cnf_x5t_s256',
] as const;
/** Parameters: REFRESH_COLUMNS, in order. */
const INSERT_REFRESH = (db: Executor) =>
  db.insertInto('refresh_tokens').values(placeholderRow(REFRESH_COLUMNS));

/**
 * PostgreSQL: a whole rotation as one statement (docs/PERFORMANCE.md, statements per operation). `family` takes
 * the grant's row lock first, as LOCK_FAMILY does, and `spent` reads it, so the lock order of every family
 * writer is kept; a concurrent rotation of the same token finds `used_at` set when its lock is released
 * (READ COMMITTED re-checks the row) and spends nothing. Data-modifying CTEs run to completion and atomically
 * with the statement, so the successor exists exactly when the token was spent.
 */
const rotateInOneStatement = (db: Executor, r: OneStatementRotation) => sql<{ token: Selectable<RefreshTokensTable>; account: Selectable<UsersTable>; claims: string | null }>`
  with family as (
    update grants set revoked_at = revoked_at
    where id = (select grant_id from refresh_tokens where token_hash = ${r.presentedHash}) and revoked_at is null
    returning id, user_id, client_id, claims
  ), spent as (
    update refresh_tokens rt set used_at = ${r.now}::bigint
    from family f
    join users u on u.id = f.user_id
    left join consents c on c.user_id = f.user_id and c.client_id = f.client_id
    where rt.token_hash = ${r.presentedHash} and rt.client_id = ${r.clientId} and rt.grant_id = f.id
      and rt.used_at is null and rt.revoked_at is null and rt.expires_at > ${r.now}::bigint
      and rt.dpop_jkt is null and rt.cnf_x5t_s256 is null
      and u.disabled_at is null
      and ${sql.val(r.requestedScopes)}::text[] <@ string_to_array(rt.scope, ' ')
      and (not ${r.consentRequired}::boolean or string_to_array(rt.scope, ' ') <@ string_to_array(c.scope, ' '))
    returning rt.*
  ), successor as (
    insert into refresh_tokens (token_hash, grant_id, client_id, user_id, scope, resource, auth_time, sid, amr, parent_hash, created_at, expires_at, used_at, revoked_at)
    select ${r.successorHash}::text, grant_id, client_id, user_id, scope, resource, auth_time, sid, amr, token_hash, ${r.now}::bigint, expires_at, null::bigint, null::bigint from spent
    returning 1
  )
  select row_to_json(spent) as token, row_to_json(u) as account, f.claims
  from spent join family f on f.id = spent.grant_id join users u on u.id = spent.user_id
  where (select count(*) from successor) = 1`.execute(db);

/** PostgreSQL: spends a code and reads its grant and user in one statement (the grant row as it was). */
const consumeCodeInOneStatement = (db: Executor, codeHash: string, now: number) => sql<{
  code: Selectable<AuthorizationCodesTable>;
  account: Selectable<UsersTable>;
  grant_revoked_at: number | null;
  grant_expires_at: number;
  grant_claims: string | null;
}>`
  with spent as (
    update authorization_codes set consumed_at = ${now}::bigint
    where code_hash = ${codeHash} and consumed_at is null
    returning *
  )
  select row_to_json(spent) as code, row_to_json(u) as account,
    g.revoked_at as grant_revoked_at, g.expires_at as grant_expires_at, g.claims as grant_claims
  from spent join grants g on g.id = spent.grant_id join users u on u.id = g.user_id`.execute(db);

export function kyselyTokenStore(db: Executor): TokenStore & GrantTokenStore {
  const revoked = prepared(db, REVOKED);
  const useToken = prepared(db, USE_TOKEN);
  const lockFamily = prepared(db, LOCK_FAMILY);
  const tokenOwner = prepared(db, TOKEN_OWNER);
  const grantWithUser = prepared(db, GRANT_WITH_USER);
  const insertRefresh = prepared(db, INSERT_REFRESH);
  const insertOpaque = prepared(db, INSERT_OPAQUE);
  const findOpaque = prepared(db, FIND_OPAQUE);
  const deleteOpaque = prepared(db, DELETE_OPAQUE);
  const oneStatement = db.getExecutor().adapter instanceof PostgresAdapter && !db.isTransaction;
  return {
    ...(oneStatement
      ? {
          async rotateRefreshToken(r: OneStatementRotation): Promise<OneStatementRotated | undefined> {
            const [row] = (await rotateInOneStatement(db, r)).rows;
            return row && { token: toRefresh(row.token), user: toUser(row.account), claims: row.claims };
          },
          async consumeCodeWithGrant(codeHash: string, now: number) {
            const [row] = (await consumeCodeInOneStatement(db, codeHash, now)).rows;
            if (!row) return undefined;
            const grant = { revokedAt: row.grant_revoked_at, expiresAt: row.grant_expires_at, user: toUser(row.account), consentScopes: null, claims: row.grant_claims };
            return { code: toCode(row.code), grant };
          },
        }
      : {}),
    async denyAccessToken(jti, expiresAt) {
      await db
        .insertInto('revoked_access_tokens')
        .values({ jti, expires_at: expiresAt })
        .onConflict((oc) => oc.column('jti').doNothing())
        .execute();
    },
    async isAccessTokenRevoked(jti, grantId) {
      return (await revoked(jti, grantId ?? '')).length > 0;
    },
    async grantRelease(grantId) {
      const r = await db.selectFrom('grants').select(['user_id', 'claims']).where('id', '=', grantId).executeTakeFirst();
      return r && { userId: r.user_id, claims: r.claims };
    },
    async findRefreshToken(tokenHash) {
      const r = await db.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
      return r && toRefresh(r);
    },
    async insertOpaqueAccessToken(t: OpaqueAccessTokenRecord) {
      // Same order as OPAQUE_COLUMNS.
      await insertOpaque(
        t.tokenHash, t.jti, t.clientId, t.grantId, t.sub, t.scope, JSON.stringify(t.aud), t.authTime,
        t.cnf ? JSON.stringify(t.cnf) : null, t.issuedAt, t.expiresAt,
      );
    },
    async findOpaqueAccessToken(tokenHash) {
      const [r] = await findOpaque(tokenHash);
      if (!r) return undefined;
      return {
        tokenHash: r.token_hash,
        jti: r.jti,
        clientId: r.client_id,
        grantId: r.grant_id,
        sub: r.sub,
        scope: r.scope,
        aud: JSON.parse(r.aud) as string | string[],
        authTime: r.auth_time,
        cnf: r.cnf ? (JSON.parse(r.cnf) as Record<string, unknown>) : null,
        issuedAt: r.issued_at,
        expiresAt: r.expires_at,
        grantRevoked: r.grant_revoked_at !== null,
      };
    },
    async deleteOpaqueAccessToken(tokenHash) {
      await deleteOpaque(tokenHash);
    },
    async revokeGrant(grantId, now) {
      await inTransaction(db, async (tx) => {
        await tx.updateTable('grants').set({ revoked_at: now }).where('id', '=', grantId).where('revoked_at', 'is', null).execute();
        await tx
          .updateTable('refresh_tokens')
          .set({ revoked_at: now })
          .where('grant_id', '=', grantId)
          .where('revoked_at', 'is', null)
          .execute();
      });
    },
    async useAssertionJti(jtiHash, expiresAt, now) {
      const r = await db
        .insertInto('client_assertion_jtis')
        .values({ jti_hash: jtiHash, expires_at: expiresAt })
        .onConflict((oc) =>
          // An expired row may be reused; a live one may not.
          oc.column('jti_hash').doUpdateSet({ expires_at: expiresAt }).where('client_assertion_jtis.expires_at', '<=', now),
        )
        .executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
    },
    async findGrant(grantId) {
      const r = await db.selectFrom('grants').select(['id', 'revoked_at', 'user_id', 'client_id', 'expires_at']).where('id', '=', grantId).executeTakeFirst();
      return r && { id: r.id, revokedAt: r.revoked_at, userId: r.user_id, clientId: r.client_id, expiresAt: r.expires_at };
    },
    async insertRefreshToken(t) {
      // Same order as REFRESH_COLUMNS.
      await insertRefresh(
        t.tokenHash, t.grantId, t.clientId, t.userId, t.scope, t.resource, t.authTime, t.sid, t.amr,
        t.parentHash, t.createdAt, t.expiresAt, t.usedAt, t.revokedAt, t.dpopJkt ?? null, t.certificateThumbprint ?? null,
      );
    },
    async useRefreshToken(tokenHash, clientId, now, reuseInterval = 0) {
      const [family] = await lockFamily(tokenHash);
      // Unknown token, or its family is revoked already (nothing of it can be used or issued any more).
      const owner = family ? { grant_id: family.id, client_id: family.client_id } : (await tokenOwner(tokenHash))[0];
      if (!owner) return undefined;
      if (family) {
        const [row] = await useToken(now, tokenHash, clientId);
        if (row) return { token: toRefresh(row) };
        if (reuseInterval > 0) {
          // Read under the family lock taken above: a concurrent rotation has committed its used_at by now.
          const spent = await db
            .selectFrom('refresh_tokens')
            .selectAll()
            .where('token_hash', '=', tokenHash)
            .where('client_id', '=', clientId)
            .where('revoked_at', 'is', null)
            .where('used_at', '>', now - reuseInterval)
            .executeTakeFirst();
          if (spent) return { token: toRefresh(spent), withinReuseInterval: true };
        }
      }
      return owner.client_id === clientId ? { reusedGrantId: owner.grant_id } : { otherClient: true };
    },
    async grantContext(grantId) {
      const [r] = await grantWithUser(grantId);
      if (!r) return undefined;
      const { grant_revoked_at, grant_expires_at, consent_scope, grant_claims, ...user } = r;
      return {
        revokedAt: grant_revoked_at,
        expiresAt: grant_expires_at,
        user: toUser(user),
        consentScopes: consent_scope === null ? null : consent_scope.split(' '),
        claims: grant_claims,
      };
    },
    async revokeUserGrants(userId, clientId, now) {
      const grants = await db.selectFrom('grants').select('id').where('user_id', '=', userId).where('client_id', '=', clientId).execute();
      for (const g of grants) await this.revokeGrant(g.id, now);
    },
    async purgeExpired(now) {
      let n = 0;
      // Grants go last: deleting one cascades to its codes and refresh tokens (a family expires with its grant).
      for (const table of ['revoked_access_tokens', 'opaque_access_tokens', 'client_assertion_jtis', 'authorization_codes', 'browser_sessions', 'grants'] as const) {
        n += Number((await db.deleteFrom(table).where('expires_at', '<=', now).executeTakeFirst()).numDeletedRows);
      }
      return n;
    },
  };
}
