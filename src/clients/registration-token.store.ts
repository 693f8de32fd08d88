/** RFC 7591 §3 initial access tokens, stored as SHA-256 hashes. */
export interface RegistrationTokenStore {
  insert(token: { tokenHash: string; usesRemaining: number | null; createdAt: number; expiresAt: number | null }): Promise<void>;
  /** Atomically spends one use; false when unknown, expired or used up. */
  consume(tokenHash: string, now: number): Promise<boolean>;
}
