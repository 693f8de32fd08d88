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

export type ConsumeResult = { code: AuthorizationCode } | { replayedGrantId: string } | undefined;

export interface CodeStore {
  /** Creates the grant and its code together; false (and nothing written) when the grant id is taken. */
  issue(grant: Grant, code: AuthorizationCode): Promise<boolean>;
  /**
   * Marks the code consumed atomically (`UPDATE … WHERE consumed_at IS NULL RETURNING *`): exactly one caller
   * gets the code; a later caller learns the grant it belonged to (a replay); an unknown code gives undefined.
   */
  consume(codeHash: string, now: number): Promise<ConsumeResult>;
}
