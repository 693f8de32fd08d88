/**
 * When a browser session ends (RP-initiated logout, or the server ending a user's sessions), every client the
 * session issued grants to is told: by a signed logout token POSTed to its backchannel_logout_uri (Back-Channel
 * Logout 1.0 §2.4), and by an iframe of its frontchannel_logout_uri on the logged-out page (Front-Channel
 * Logout 1.0 §3). The rows are taken (read and deleted) once, so a session is fanned out at most once.
 */
import type { Client } from '../clients/client.js';
import { logoutMetadata } from '../clients/logout-metadata.js';
import type { Clock } from '../oauth/clock.js';
import { randomToken } from '../oauth/random.js';
import type { DeliveryJob } from './backchannel-delivery.js';
import type { SessionClientStore } from './session-client.store.js';

export const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** Logout tokens are acted on at once; two minutes covers clock skew and the retries. */
const LOGOUT_TOKEN_TTL = 120;

export interface LogoutFanoutDeps {
  store: SessionClientStore;
  findClient(clientId: string): Promise<Client | undefined>;
  /** Signs claims as a JWS with the active key for `alg`, with the given `typ`. */
  sign(alg: string, claims: object, typ: string): Promise<string>;
  deliver(job: DeliveryJob): void;
  /** Records a logout token that could not even be made (no key for the client's alg). */
  failed(clientId: string, reason: string): void;
  /** The `sub` this client knows the user by (pairwise clients get their own, as in their ID tokens). */
  subjectFor(client: Client, userId: string): string;
  clock: Clock;
  issuer: string;
  idTokenAlg: string;
}

export interface FrontchannelFrame {
  clientId: string;
  /** The iframe src: the client's frontchannel_logout_uri, with iss and sid when it asked for them. */
  src: string;
}

export class LogoutFanout {
  private readonly deps: LogoutFanoutDeps;

  constructor(deps: LogoutFanoutDeps) {
    this.deps = deps;
  }

  /** Tells the clients of the ended session(s); returns the front-channel frames for the logged-out page. */
  async sessionEnded(by: { sid: string } | { userId: string }): Promise<FrontchannelFrame[]> {
    const rows = await this.deps.store.take(by);
    const frames: FrontchannelFrame[] = [];
    for (const row of rows) {
      const client = await this.deps.findClient(row.clientId);
      if (!client) continue;
      const meta = logoutMetadata(client.metadata);
      if (meta.backchannelLogoutUri) await this.backchannel(client, meta.backchannelLogoutUri, row.userId, row.sid);
      if (meta.frontchannelLogoutUri) {
        const url = new URL(meta.frontchannelLogoutUri);
        if (meta.frontchannelLogoutSessionRequired) {
          url.searchParams.set('iss', this.deps.issuer);
          url.searchParams.set('sid', row.sid);
        }
        frames.push({ clientId: client.clientId, src: url.href });
      }
    }
    return frames;
  }

  /** §2.4: iss, aud, iat, exp, jti, events, sub and sid; never a nonce; typ logout+jwt (§2.4, RFC 8725 §3.11). */
  private async backchannel(client: Client, uri: string, userId: string, sid: string): Promise<void> {
    const now = this.deps.clock.now();
    const claims = {
      iss: this.deps.issuer,
      aud: client.clientId,
      iat: now,
      exp: now + LOGOUT_TOKEN_TTL,
      jti: randomToken(16),
      sub: this.deps.subjectFor(client, userId),
      sid,
      events: { [BACKCHANNEL_EVENT]: {} },
    };
    let logoutToken: string;
    try {
      logoutToken = await this.deps.sign(client.idTokenSignedResponseAlg ?? this.deps.idTokenAlg, claims, 'logout+jwt');
    } catch (err) {
      this.deps.failed(client.clientId, err instanceof Error ? err.message : 'signing failed');
      return;
    }
    this.deps.deliver({ clientId: client.clientId, uri, logoutToken });
  }
}
