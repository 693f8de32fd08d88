export interface BrowserSession {
  id: string;
  secretHash: string;
  userId: string;
  /** OpenID Connect session id, shared with ID tokens (`sid`). */
  sid: string;
  authTime: number;
  amr: string[];
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
}

export interface SessionStore {
  insert(session: BrowserSession): Promise<void>;
  find(id: string): Promise<BrowserSession | undefined>;
  touch(id: string, lastSeenAt: number): Promise<void>;
  delete(id: string): Promise<void>;
  deleteBySid(sid: string): Promise<void>;
}
