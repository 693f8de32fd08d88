import type { UserStore } from '../../accounts/user.store.js';
import type { AuditContext } from '../../audit/audit-event.js';
import type { AuditStore } from '../../audit/audit.store.js';
import type { ConsentStore } from '../../grants/consent.store.js';
import type { CodeStore } from '../../authorize/code.store.js';
import type { Client, GrantType } from '../../clients/client.js';
import type { Config } from '../../config/schema.js';
import type { JwtSigner } from '../../keys/signer.js';
import type { AccessTokenMinter } from '../access-token.js';
import type { Clock } from '../../oauth/clock.js';
import type { GrantTokenStore, TokenStore } from '../token.store.js';
import { authorizationCodeGrant } from './authorization-code.grant.js';
import { clientCredentialsGrant } from './client-credentials.grant.js';
import { refreshTokenGrant } from './refresh-token.grant.js';
import { tokenExchangeGrant } from './token-exchange.grant.js';
import { deviceCodeGrant } from './device-code.grant.js';
import type { DeviceAuthorizationStore } from '../../device/device-authorization.store.js';
import type { OwnTokenVerifier } from '../../exchange/subject-token.js';

export interface TokenResponse {
  access_token: string;
  /** RFC 9449 §5: `DPoP` when the access token is bound to the proof key. */
  token_type: 'Bearer' | 'DPoP';
  expires_in: number;
  scope?: string;
  refresh_token?: string;
  id_token?: string;
  /** RFC 8693 §2.2.1. */
  issued_token_type?: string;
}

/** Stores bound to one transaction. Inside a transaction only these may be used (SQLite has one connection). */
export type GrantStores = { codes: CodeStore; tokens: TokenStore & GrantTokenStore; users: UserStore; consents: ConsentStore; audit: AuditStore };

/** What every grant handler may use. */
export interface GrantContext {
  issuer: string;
  clock: Clock;
  config: Config['auth'];
  accessTokenAlg: string;
  idTokenAlg: string;
  signer(alg: string): JwtSigner;
  /** The `sub` a client sees for a user (OpenID Connect Core §8: public or pairwise). */
  subject(client: Client, userId: string): string;
  /**
   * How this client's access token for `aud` is minted (issue 13: JWT, or opaque with its hash written through
   * `store`, the transaction's store when there is one).
   */
  accessTokenMinter(client: Client, aud: string, store: Pick<TokenStore, 'insertOpaqueAccessToken'>): AccessTokenMinter;
  /** Token state outside any transaction (grants that need none, e.g. client_credentials, and PostgreSQL's one-statement steps). */
  tokens: TokenStore & Pick<GrantTokenStore, 'insertRefreshToken' | 'grantContext'>;
  /** False for clients whose refresh tokens stay the same (FAPI 2.0 profile clients, src/fapi/). */
  rotatesRefreshTokens(client: Client): boolean;
  /** Verification of our own access and ID tokens (RFC 8693 subject and actor tokens). */
  ownTokens: OwnTokenVerifier;
  /** RFC 8628 device authorizations (src/device/), when `auth.device.enabled`. */
  devices?: Pick<DeviceAuthorizationStore, 'findByDeviceCode' | 'poll' | 'consume'> | undefined;
  /** Runs `fn` with stores bound to one transaction. */
  transaction<T>(fn: (stores: GrantStores) => Promise<T>): Promise<T>;
}

/** RFC 8705 (src/mtls/binding.ts): the certificate of the token request, as thumbprints. */
/** The keys a token request proved possession of, which its tokens are bound to. */
export interface ProofOfPossession {
  /** RFC 9449: the thumbprint of the verified DPoP proof's key. */
  dpopJkt?: string | undefined;
  /** RFC 8705: the client certificate of the connection. */
  certificate?: CertificateBinding | undefined;
}

export interface CertificateBinding {
  /** x5t#S256 the access tokens are bound to (`cnf`), when they are. */
  bindTo?: string | undefined;
  /** x5t#S256 of the certificate presented, bound or not (a public client's refresh token, RFC 8705 §4). */
  presented?: string | undefined;
}

/** One grant type, one file (node-oidc-provider lib/actions/grants). */
export interface GrantHandler {
  grantType: GrantType;
  /**
   * `request` is the audit context of the token request (replays and reuse are recorded); `proof` what the
   * request proved possession of: its verified DPoP proof's key (RFC 9449) and its client certificate (RFC 8705).
   */
  handle(ctx: GrantContext, client: Client, params: Record<string, string>, request?: AuditContext, proof?: ProofOfPossession): Promise<TokenResponse>;
}

export const GRANT_HANDLERS = new Map<string, GrantHandler>(
  [clientCredentialsGrant, authorizationCodeGrant, refreshTokenGrant, tokenExchangeGrant, deviceCodeGrant].map((h) => [h.grantType, h]),
);
