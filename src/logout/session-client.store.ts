/** The clients a browser session (by `sid`) has issued grants to: whom a logout of that session must reach. */
export interface SessionClient {
  sid: string;
  clientId: string;
  userId: string;
}

export interface SessionClientStore {
  /**
   * Removes and returns the rows of one session (`sid`) or of every session of a user: each logout is fanned
   * out once, however many requests end the same session at the same time.
   */
  take(by: { sid: string } | { userId: string }): Promise<SessionClient[]>;
  /** Deletes the rows of sessions that ended without a logout (expired, replaced); returns how many went. */
  purgeOrphans(): Promise<number>;
}
