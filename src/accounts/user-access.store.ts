/** Everything that lets a person in: browser sessions, grants and their refresh tokens (and so access tokens). */
export interface UserAccessStore {
  /**
   * Ends every browser session of the user and revokes every grant with its refresh tokens; access tokens from
   * those grants stop verifying at once (their jti carries the grant). Runs in the caller's transaction.
   */
  revokeAll(userId: string, now: number): Promise<void>;
}
