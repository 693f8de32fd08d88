import type { Selectable } from 'kysely';
import type { AuthorizationCode, CodeStore } from '../../authorize/code.store.js';
import type { AuthorizationCodesTable } from '../schema.js';
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
  return {
    async issue(g, c) {
      return inTransaction(db, async (tx) => {
        const created = await prepared(tx, INSERT_GRANT)(g.id, g.clientId, g.userId, g.scope, g.createdAt, g.expiresAt, g.revokedAt, g.claims ?? null);
        if (created.length === 0) return false;
        await prepared(tx, INSERT_CODE)(
          c.codeHash, c.grantId, c.clientId, c.userId, c.redirectUri, c.scope, c.resource, c.nonce, c.codeChallenge,
          c.codeChallengeMethod, c.authTime, c.sid, c.amr, c.claims, c.createdAt, c.expiresAt, null,
          c.dpopJkt ?? null,
        );
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
