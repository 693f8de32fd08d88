import type { Selectable } from 'kysely';
import type { User, UserIdentity, UserStore } from '../../accounts/user.store.js';
import type { ProfileClaims } from '../../claims/catalogue.js';
import type { Executor } from '../stores.js';
import { prepared } from '../prepared.js';
import type { UsersTable } from '../schema.js';

export const toUser = (r: Selectable<UsersTable>): User => ({
  id: r.id,
  email: r.email,
  emailVerified: r.email_verified === 1,
  givenName: r.given_name,
  familyName: r.family_name,
  name: r.name,
  passwordHash: r.password_hash,
  disabledAt: r.disabled_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  profileClaims: r.profile_claims ? (JSON.parse(r.profile_claims) as ProfileClaims) : {},
});

const profileJson = (p: ProfileClaims): string | null => (Object.keys(p).length ? JSON.stringify(p) : null);

const BY_ID = (db: Executor) => db.selectFrom('users').selectAll().where('id', '=', '');
const BY_EMAIL = (db: Executor) => db.selectFrom('users').selectAll().where('email', '=', '');

export function kyselyUserStore(db: Executor): UserStore {
  const byId = prepared(db, BY_ID);
  const byEmail = prepared(db, BY_EMAIL);
  return {
    async findById(id) {
      const [r] = await byId(id);
      return r && toUser(r);
    },
    async findByEmail(email) {
      const [r] = await byEmail(email.toLowerCase());
      return r && toUser(r);
    },
    async insert(u) {
      await db
        .insertInto('users')
        .values({
          id: u.id,
          email: u.email.toLowerCase(),
          email_verified: u.emailVerified ? 1 : 0,
          given_name: u.givenName,
          family_name: u.familyName,
          name: u.name,
          password_hash: u.passwordHash,
          disabled_at: u.disabledAt,
          created_at: u.createdAt,
          updated_at: u.updatedAt,
          profile_claims: profileJson(u.profileClaims ?? {}),
        })
        .execute();
    },
    async delete(id) {
      const r = await db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
    async update(id, c) {
      const values: Partial<UsersTable> = {};
      if (c.email !== undefined) values.email = c.email.toLowerCase();
      if (c.emailVerified !== undefined) values.email_verified = c.emailVerified ? 1 : 0;
      if (c.givenName !== undefined) values.given_name = c.givenName;
      if (c.familyName !== undefined) values.family_name = c.familyName;
      if (c.name !== undefined) values.name = c.name;
      if (c.passwordHash !== undefined) values.password_hash = c.passwordHash;
      if (c.disabledAt !== undefined) values.disabled_at = c.disabledAt;
      if (c.updatedAt !== undefined) values.updated_at = c.updatedAt;
      if (c.profileClaims !== undefined) values.profile_claims = profileJson(c.profileClaims);
      const r = await db.updateTable('users').set(values).where('id', '=', id).executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },
    async list(limit, offset) {
      const rows = await db.selectFrom('users').selectAll().orderBy('created_at').orderBy('id').limit(limit).offset(offset).execute();
      return rows.map(toUser);
    },
    async count() {
      const r = await db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(r.n);
    },
    async findIdentity(provider, subject) {
      const r = await db
        .selectFrom('user_identities')
        .selectAll()
        .where('provider', '=', provider)
        .where('subject', '=', subject)
        .executeTakeFirst();
      return r && { id: r.id, userId: r.user_id, provider: r.provider, subject: r.subject, createdAt: r.created_at };
    },
    async insertIdentity(i: UserIdentity) {
      await db
        .insertInto('user_identities')
        .values({ id: i.id, user_id: i.userId, provider: i.provider, subject: i.subject, created_at: i.createdAt })
        .execute();
    },
  };
}
