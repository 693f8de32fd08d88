import type { JWK } from 'jose';

export type KeyState = 'next' | 'active' | 'retired';

export interface StoredKey {
  kid: string;
  alg: string;
  state: KeyState;
  /** AES-256-GCM sealed private JWK (oauth/secret-box.ts), bound to the kid. */
  privateJwkEnc: string;
  publicJwk: JWK;
  createdAt: number;
  activatedAt: number | null;
  retiredAt: number | null;
  /** A retired key stays in the JWKS until every token it signed has expired. */
  publishUntil: number | null;
}

/** Signing keys, shared by every server process through the database. */
export interface KeyStore {
  list(): Promise<StoredKey[]>;
  find(kid: string): Promise<StoredKey | undefined>;
  insert(key: StoredKey): Promise<void>;
  /**
   * Atomically, for one alg: the active key becomes retired (published until `publishUntil`), the key `promote`
   * becomes active, and `next` is inserted as the new next key.
   */
  rotate(alg: string, promote: string, next: StoredKey, now: number, publishUntil: number): Promise<void>;
  /** Removes retired keys no longer published. */
  deleteExpired(now: number): Promise<number>;
}
