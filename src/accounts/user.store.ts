import type { ProfileClaims } from '../claims/catalogue.js';

export interface User {
  id: string;
  email: string;
  emailVerified: boolean;
  givenName: string | null;
  familyName: string | null;
  name: string | null;
  /** argon2id PHC string; null for accounts that only log in upstream. */
  passwordHash: string | null;
  disabledAt: number | null;
  createdAt: number;
  updatedAt: number;
  /** The standard claims (OpenID Connect Core §5.1) without a field of their own; `{}` when none are set. */
  profileClaims?: ProfileClaims;
}

export interface UserIdentity {
  id: string;
  userId: string;
  /** `system` for local accounts, else an upstream provider id (google, github, …). */
  provider: string;
  subject: string;
  createdAt: number;
}

/** End-user accounts and their links to identity providers. */
export interface UserStore {
  findById(id: string): Promise<User | undefined>;
  /** Case-insensitive: emails are stored lower-cased. */
  findByEmail(email: string): Promise<User | undefined>;
  insert(user: User): Promise<void>;
  update(id: string, changes: Partial<Omit<User, 'id' | 'createdAt'>>): Promise<boolean>;
  /** Deletes the user; everything keyed by the user cascades (sessions, grants, identities, memberships). */
  delete(id: string): Promise<boolean>;
  list(limit: number, offset: number): Promise<User[]>;
  count(): Promise<number>;
  findIdentity(provider: string, subject: string): Promise<UserIdentity | undefined>;
  insertIdentity(identity: UserIdentity): Promise<void>;
}
