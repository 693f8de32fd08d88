import type { AuditEvent } from '../audit/audit.store.js';
import type { BrowserSession } from '../sessions/session.store.js';

/** A grant: what one authorization (or one client_credentials client) was given; tokens hang off it. */
export interface Grant {
  id: string;
  clientId: string;
  userId: string | null;
  scope: string;
  createdAt: number;
  expiresAt: number;
  revokedAt: number | null;
  /** The normalized `claims` request parameter (JSON), kept for userinfo and refreshed ID tokens. */
  claims?: string | null;
}

export interface AuthorizationCode {
  codeHash: string;
  grantId: string;
  clientId: string;
  userId: string;
  redirectUri: string;
  scope: string;
  resource: string | null;
  nonce: string | null;
  codeChallenge: string | null;
  codeChallengeMethod: string | null;
  authTime: number;
  sid: string | null;
  amr: string | null;
  /** The normalized `claims` request parameter (JSON, src/claims/claims-request.ts). */
  claims: string | null;
  createdAt: number;
  expiresAt: number;
  consumedAt: number | null;
  /** RFC 9449 §10: the DPoP key thumbprint (`dpop_jkt`) the token request must prove. */
  dpopJkt?: string | null;
}

/** What completing a sign-in writes besides the grant and its code (authorize.service.ts `complete`). */
export interface SignInWrites {
  /** The account the grant is for: nothing at all is written unless it exists and is enabled. */
  userId: string;
  /** A session made during the interaction, and the id of the browser's session it replaces. */
  session?: { insert: BrowserSession; replaces: string | undefined } | undefined;
  /** A consent given: what (user, client) consented to is widened by these scopes. */
  consent?: { scopes: readonly string[]; at: number } | undefined;
  /** The audit events of this completion (sign-in, consent): written with it or not at all. */
  events: readonly AuditEvent[];
}

/** `disabled`: the account is gone or disabled; `taken`: the grant id exists (a completed interaction replayed). */
export type SignInIssued = 'issued' | 'disabled' | 'taken';

export type ConsumeResult = { code: AuthorizationCode } | { replayedGrantId: string } | undefined;

export interface CodeStore {
  /** Creates the grant and its code together; false (and nothing written) when the grant id is taken. */
  issue(grant: Grant, code: AuthorizationCode): Promise<boolean>;
  /**
   * A whole completion in one atomic statement where the database can (PostgreSQL: data-modifying CTEs), so
   * it is one round trip with no BEGIN/COMMIT: the session, the consent, the grant, its code, the session's
   * client and the audit events, every one written only when the user is enabled (its row share-locked, so a
   * concurrent disable waits or wins) and the grant id was free. Nothing is written otherwise. Absent on
   * SQLite, which completes in a transaction (its statements are in-process).
   */
  issueWithSignIn?(grant: Grant, code: AuthorizationCode, writes: SignInWrites): Promise<SignInIssued>;
  /**
   * Marks the code consumed atomically (`UPDATE … WHERE consumed_at IS NULL RETURNING *`): exactly one caller
   * gets the code; a later caller learns the grant it belonged to (a replay); an unknown code gives undefined.
   */
  consume(codeHash: string, now: number): Promise<ConsumeResult>;
}
