import type { User } from '../accounts/user.store.js';
import type { AuthorizationCode } from '../authorize/code.store.js';

export interface RefreshTokenRecord {
  tokenHash: string;
  grantId: string;
  clientId: string;
  userId: string | null;
  scope: string;
  resource: string | null;
  authTime: number | null;
  sid: string | null;
  amr: string | null;
  parentHash: string | null;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
  revokedAt: number | null;
  /** RFC 9449 §5: the DPoP key thumbprint a public client's family is bound to; refreshing needs a proof with it. */
  dpopJkt?: string | null;
  /** RFC 8705 §4: the x5t#S256 of the certificate a public client's refresh token is bound to. */
  certificateThumbprint?: string | null;
}

/** An opaque access token (issue 13): only its sha256 is stored, with the claims a JWT would have carried. */
export interface OpaqueAccessTokenRecord {
  tokenHash: string;
  jti: string;
  clientId: string;
  /** The user grant it was issued from; null for client_credentials. */
  grantId: string | null;
  sub: string;
  scope: string;
  aud: string | string[];
  authTime: number | null;
  /** RFC 7800 confirmation claim of a sender-constrained token. */
  cnf: Record<string, unknown> | null;
  issuedAt: number;
  expiresAt: number;
}

/** Token state that outlives a request: denylisted access tokens, grants, refresh tokens, assertion jtis. */
export interface TokenStore {
  /** RFC 7009: puts an access token's jti on the denylist until it would have expired anyway. */
  denyAccessToken(jti: string, expiresAt: number): Promise<void>;
  /**
   * True when the jti is denylisted, or when `grantId` (the grant a user token came from, carried in its jti;
   * see access-token.ts) has been revoked.
   */
  isAccessTokenRevoked(jti: string, grantId: string | undefined): Promise<boolean>;
  /** A grant's user and normalized `claims` request (JSON, null when none): what userinfo releases. */
  grantRelease(grantId: string): Promise<{ userId: string | null; claims: string | null } | undefined>;
  findRefreshToken(tokenHash: string): Promise<RefreshTokenRecord | undefined>;
  /** One INSERT per issued opaque access token. */
  insertOpaqueAccessToken(token: OpaqueAccessTokenRecord): Promise<void>;
  /**
   * One indexed lookup: the token and whether the grant it came from was revoked (code replay, refresh reuse,
   * consent revocation). Expiry is the caller's to check.
   */
  findOpaqueAccessToken(tokenHash: string): Promise<(OpaqueAccessTokenRecord & { grantRevoked: boolean }) | undefined>;
  /** RFC 7009: deletes an opaque access token, so it is inactive from now on. */
  deleteOpaqueAccessToken(tokenHash: string): Promise<void>;
  /** Revokes a grant and everything issued from it (refresh tokens, recorded access tokens). */
  revokeGrant(grantId: string, now: number): Promise<void>;
  /**
   * A refresh in one atomic statement where the database can (PostgreSQL: data-modifying CTEs), so a rotation
   * is one round trip with no BEGIN/COMMIT: it locks the family's grant, spends the token and inserts its
   * successor only when every rule that would refuse the request holds (token live and of this client, family
   * not revoked nor expired, user enabled, requested scopes within the grant, consent still covering it unless
   * `consentRequired` is false). Undefined when it did nothing, for whatever reason (including reuse): the
   * caller then takes the transactional path, which explains the refusal. Absent on SQLite.
   */
  rotateRefreshToken?(r: OneStatementRotation): Promise<OneStatementRotated | undefined>;
  /**
   * The code grant's first step in one statement where the database can (PostgreSQL): spends the code and
   * returns it with its grant and user. Undefined when nothing was spent (unknown or replayed code): the caller
   * takes the transactional path, which revokes a replayed code's grant. Absent on SQLite.
   */
  consumeCodeWithGrant?(codeHash: string, now: number): Promise<{ code: AuthorizationCode; grant: GrantContextRow } | undefined>;
  /** RFC 7523 §3: records an assertion jti; false when it was already used. */
  useAssertionJti(jtiHash: string, expiresAt: number, now: number): Promise<boolean>;
  /**
   * Deletes rows whose lifetime has ended (denylist, opaque access tokens, assertion jtis, codes, sessions, grants with
   * their refresh tokens); returns how many. Run periodically by `gatehouse serve`.
   */
  purgeExpired(now: number): Promise<number>;
}

export interface OneStatementRotation {
  presentedHash: string;
  clientId: string;
  now: number;
  /** sha256 of the successor, drawn by the caller. */
  successorHash: string;
  requestedScopes: string[];
  consentRequired: boolean;
}

export interface OneStatementRotated {
  /** The spent token, as it was before this rotation. */
  token: RefreshTokenRecord;
  user: User;
  claims: string | null;
}

export type RotateResult =
  /** `withinReuseInterval`: the token was spent less than the reuse interval ago and is used again (a grace reuse). */
  | { token: RefreshTokenRecord; withinReuseInterval?: true }
  | { reusedGrantId: string }
  | { otherClient: true }
  | undefined;

export interface GrantContextRow {
  revokedAt: number | null;
  expiresAt: number;
  user: User;
  consentScopes: string[] | null;
  /** The grant's normalized `claims` request parameter (JSON), null when none was sent. */
  claims: string | null;
}

/** Refresh tokens and grant bookkeeping used by the user-facing grants. */
export interface GrantTokenStore {
  findGrant(grantId: string): Promise<{ id: string; revokedAt: number | null; userId: string | null; clientId: string; expiresAt: number } | undefined>;
  insertRefreshToken(token: RefreshTokenRecord): Promise<void>;
  /**
   * Marks a refresh token of `clientId` used, atomically; a used or revoked token reports its grant (reuse).
   * A token of another client is reported as such and left untouched. Locks the token's grant first, so that
   * every writer of one token family (rotation, reuse revocation) queues on the same row. With a
   * `reuseInterval` (seconds), a token of `clientId` spent less than that long ago, and not revoked, is
   * returned again (marked `withinReuseInterval`) instead of being reported as reused.
   */
  useRefreshToken(tokenHash: string, clientId: string, now: number, reuseInterval?: number): Promise<RotateResult>;
  /** The grant with its user and the user's consent to the grant's client, in one read. */
  grantContext(grantId: string): Promise<GrantContextRow | undefined>;
  revokeUserGrants(userId: string, clientId: string, now: number): Promise<void>;
}
