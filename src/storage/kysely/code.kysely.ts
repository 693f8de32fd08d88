import { PostgresAdapter, sql, type Selectable } from 'kysely';
import type { AuthorizationCode, CodeStore, Grant, SignInIssued, SignInWrites } from '../../authorize/code.store.js';
import type { AuthorizationCodesTable } from '../schema.js';
import { AUDIT_COLUMNS, auditRow } from './audit.kysely.js';
import { SESSION_COLUMNS, sessionRow } from './session.kysely.js';
import { inTransaction, type Executor } from '../stores.js';
import { placeholderRow, prepared } from '../prepared.js';
import { recordSessionClient } from './session-client.kysely.js';

const CODE_COLUMNS = [
  'code_hash', 'grant_id', 'client_id', 'user_id', 'redirect_uri', 'scope', 'resource', 'nonce', 'code_challenge',
  'code_challenge_method', 'auth_time', 'sid', 'amr', 'claims', 'created_at', 'expires_at', 'consumed_at',
  'dpop_jkt',
] as const;
const GRANT_COLUMNS = ['id', 'client_id', 'user_id', 'scope', 'created_at', 'expires_at', 'revoked_at', 'claims'] as const;
/** Parameters: GRANT_COLUMNS in order. Returns no row when the id is taken (a completed interaction replayed). */
const INSERT_GRANT = (db: Executor) =>
  db.insertInto('grants').values(placeholderRow(GRANT_COLUMNS)).onConflict((oc) => oc.column('id').doNothing()).returning('id');
/** Parameters: CODE_COLUMNS in order. */
const INSERT_CODE = (db: Executor) => db.insertInto('authorization_codes').values(placeholderRow(CODE_COLUMNS));
/** Parameters: now, code_hash. */
const CONSUME = (db: Executor) =>
  db.updateTable('authorization_codes').set({ consumed_at: 0 }).where('code_hash', '=', '').where('consumed_at', 'is', null).returningAll();
const CODE_GRANT = (db: Executor) => db.selectFrom('authorization_codes').select('grant_id').where('code_hash', '=', '');

const grantRow = (g: Grant) => ({
  id: g.id, client_id: g.clientId, user_id: g.userId, scope: g.scope, created_at: g.createdAt, expires_at: g.expiresAt,
  revoked_at: g.revokedAt, claims: g.claims ?? null,
});
const codeRow = (c: AuthorizationCode) => ({
  code_hash: c.codeHash, grant_id: c.grantId, client_id: c.clientId, user_id: c.userId, redirect_uri: c.redirectUri,
  scope: c.scope, resource: c.resource, nonce: c.nonce, code_challenge: c.codeChallenge,
  code_challenge_method: c.codeChallengeMethod, auth_time: c.authTime, sid: c.sid, amr: c.amr, claims: c.claims,
  created_at: c.createdAt, expires_at: c.expiresAt, consumed_at: null, dpop_jkt: c.dpopJkt ?? null,
});

/**
 * A data-modifying CTE part: inserts `rows` (objects keyed by `columns`, passed as one JSON parameter) into
 * `table`, one per row and only when `gate` (a CTE before it) returned a row.
 */
const insertRows = (table: string, columns: readonly string[], rows: readonly object[], gate: string) => sql`
  insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))})
  select ${sql.join(columns.map((c) => sql.ref(`r.${c}`)))}
  from jsonb_populate_recordset(null::${sql.table(table)}, ${JSON.stringify(rows)}::jsonb) r
  where exists (select 1 from ${sql.table(gate)})`;

/**
 * PostgreSQL: a sign-in's completion as one statement (docs/PERFORMANCE.md, statements per operation).
 * `account` share-locks the user while enabled: a concurrent disable either waits for this statement (and then
 * ends the session and revokes the grant it wrote) or has committed, and READ COMMITTED re-checks the row and
 * finds it disabled. `issued` is the grant, inserted only when the account is there and the id is free; every
 * other write reads `issued`, so on a replay or a disabled account nothing is written. Data-modifying CTEs run
 * to completion and atomically with the statement, and foreign keys are checked at its end.
 */
const completeInOneStatement = (db: Executor, grant: Grant, code: AuthorizationCode, w: SignInWrites) => {
  const parts = [
    sql`issued as (${insertRows('grants', GRANT_COLUMNS, [grantRow(grant)], 'account')} on conflict (id) do nothing returning id)`,
    sql`code as (${insertRows('authorization_codes', CODE_COLUMNS, [codeRow(code)], 'issued')})`,
  ];
  if (w.session?.replaces) parts.push(sql`ended as (delete from browser_sessions where id = ${w.session.replaces} and exists (select 1 from issued))`);
  if (w.session) parts.push(sql`session as (${insertRows('browser_sessions', SESSION_COLUMNS, [sessionRow(w.session.insert)], 'issued')})`);
  if (code.sid) {
    // The session now has a client to tell when it ends (Back-/Front-Channel Logout, migration 0005).
    parts.push(sql`session_client as (
      insert into session_clients (sid, client_id, user_id, created_at)
      select ${code.sid}, ${code.clientId}, ${code.userId}, ${code.createdAt}::bigint from issued
      on conflict (sid, client_id) do nothing)`);
  }
  if (w.consent) {
    // Widens what was consented (consent.service.ts recordConsent): the scopes before, then the new ones, once each.
    parts.push(sql`consent as (
      insert into consents (user_id, client_id, scope, created_at, updated_at)
      select ${w.userId}, ${grant.clientId}, ${w.consent.scopes.join(' ')}, ${w.consent.at}::bigint, ${w.consent.at}::bigint from issued
      on conflict (user_id, client_id) do update set updated_at = excluded.updated_at, scope = (
        select coalesce(string_agg(s, ' ' order by first), '') from (
          select s, min(n) as first
          from unnest(string_to_array(consents.scope, ' ') || string_to_array(excluded.scope, ' ')) with ordinality as t(s, n)
          where s <> '' group by s
        ) merged))`);
  }
  if (w.events.length) parts.push(sql`audit as (${insertRows('audit_events', AUDIT_COLUMNS, w.events.map(auditRow), 'issued')})`);
  return sql<{ enabled: boolean; issued: boolean }>`
    with account as (select id from users where id = ${w.userId} and disabled_at is null for share),
    ${sql.join(parts, sql`, `)}
    select exists (select 1 from account) as enabled, exists (select 1 from issued) as issued`.execute(db);
};

export const toCode = (r: Selectable<AuthorizationCodesTable>): AuthorizationCode => ({
  codeHash: r.code_hash,
  grantId: r.grant_id,
  clientId: r.client_id,
  userId: r.user_id,
  redirectUri: r.redirect_uri,
  scope: r.scope,
  resource: r.resource,
  nonce: r.nonce,
  codeChallenge: r.code_challenge,
  codeChallengeMethod: r.code_challenge_method,
  authTime: r.auth_time,
  sid: r.sid,
  amr: r.amr,
  claims: r.claims,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  consumedAt: r.consumed_at,
  dpopJkt: r.dpop_jkt,
});

export function kyselyCodeStore(db: Executor): CodeStore {
  const consume = prepared(db, CONSUME);
  const codeGrant = prepared(db, CODE_GRANT);
  const oneStatement = db.getExecutor().adapter instanceof PostgresAdapter && !db.isTransaction;
  return {
    ...(oneStatement
      ? {
          async issueWithSignIn(grant: Grant, code: AuthorizationCode, writes: SignInWrites): Promise<SignInIssued> {
            const [row] = (await completeInOneStatement(db, grant, code, writes)).rows;
            return row?.issued ? 'issued' : row?.enabled ? 'taken' : 'disabled';
          },
        }
      : {}),
    async issue(g, c) {
      return inTransaction(db, async (tx) => {
        const grant = grantRow(g);
        const created = await prepared(tx, INSERT_GRANT)(...GRANT_COLUMNS.map((k) => grant[k]));
        if (created.length === 0) return false;
        const code = codeRow(c);
        await prepared(tx, INSERT_CODE)(...CODE_COLUMNS.map((k) => code[k]));
        // The session now has a client to tell when it ends (Back-/Front-Channel Logout, migration 0005).
        if (c.sid) await recordSessionClient(tx, c.sid, c.clientId, c.userId, c.createdAt);
        return true;
      });
    },
    async consume(codeHash, now) {
      const [row] = await consume(now, codeHash);
      if (row) return { code: toCode(row) };
      const [seen] = await codeGrant(codeHash);
      return seen ? { replayedGrantId: seen.grant_id } : undefined;
    },
  };
}
