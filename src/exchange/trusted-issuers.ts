/**
 * RFC 8693 subject and actor tokens of type `urn:ietf:params:oauth:token-type:jwt` from issuers an operator trusts
 * (`auth.tokenExchange.trustedIssuers`): verified with the issuer's JWK Set, fetched from its configured jwks_uri
 * through src/outbound only (https, public addresses, bounded, cached), asymmetric algorithms only, and with
 * `iss`, `aud`, `exp` and `sub` required (RFC 7519 §7.2; RFC 8725 §3.1, §3.8, §3.9).
 *
 * What a trusted token may do is the operator's policy, never the token's: only the clients listed for its issuer
 * may present it, its scope is cut to the scopes listed for its issuer, and a subject is accepted only when it is
 * linked to a local account through `user_identities` (provider = the issuer's `provider` name), because an
 * external `sub` is in another namespace and must never be mistaken for a local user id.
 */
import { decodeJwt, errors as joseErrors, jwtVerify } from 'jose';
import type { OutboundFetcher } from '../outbound/outbound-fetch.js';
import { RemoteKeySets } from '../outbound/remote-key-sets.js';
import type { Clock } from '../oauth/clock.js';
import type { TrustedIssuerConfig } from '../config/schema.js';

/** An `auth.tokenExchange.trustedIssuers` entry, defaults applied (config/schema.ts). */
export type TrustedIssuer = TrustedIssuerConfig;

/** A verified token of a trusted issuer, with the policy that applies to it. */
export interface TrustedJwt {
  claims: Record<string, unknown>;
  issuer: TrustedIssuer;
  /** The local user its subject is linked to, if any. */
  userId: string | undefined;
}

export interface TrustedIssuerDeps {
  issuers: readonly TrustedIssuer[];
  outbound: Pick<OutboundFetcher, 'fetchJson'>;
  clock: Clock;
  /** The local user linked to (provider, subject) in user_identities. */
  linkedUser(provider: string, subject: string): Promise<string | undefined>;
}

/** Asymmetric only: a shared-secret JWT could be minted by anyone who can verify it. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
const CLOCK_TOLERANCE = 30;
/** A token naming a key the cached set lacks refetches the set, at most this often (key rotation upstream). */
const REFETCH_AFTER_MS = 60_000;

export class TrustedIssuerVerifier {
  private readonly byIssuer: Map<string, TrustedIssuer>;
  private readonly keySets: RemoteKeySets;
  private readonly deps: TrustedIssuerDeps;

  constructor(deps: TrustedIssuerDeps) {
    this.deps = deps;
    this.byIssuer = new Map(deps.issuers.map((i) => [i.issuer, i]));
    this.keySets = new RemoteKeySets(deps.outbound);
  }

  get enabled(): boolean {
    return this.byIssuer.size > 0;
  }

  /** The verified token, or undefined when it is not a valid token of a trusted issuer (the reason is not the client's business). */
  async verify(token: string): Promise<TrustedJwt | undefined> {
    let iss: unknown;
    try {
      iss = decodeJwt(token).iss;
    } catch {
      return undefined;
    }
    const issuer = typeof iss === 'string' ? this.byIssuer.get(iss) : undefined;
    if (!issuer) return undefined;
    let claims: Record<string, unknown>;
    try {
      claims = await this.verifyWith(issuer, token, undefined).catch(async (err: unknown) => {
        if (!(err instanceof joseErrors.JWKSNoMatchingKey)) throw err;
        return this.verifyWith(issuer, token, REFETCH_AFTER_MS);
      });
    } catch {
      return undefined;
    }
    const userId = await this.deps.linkedUser(issuer.provider, claims['sub'] as string);
    return { claims, issuer, userId };
  }

  private async verifyWith(issuer: TrustedIssuer, token: string, maxCachedAgeMs: number | undefined): Promise<Record<string, unknown>> {
    const { payload } = await jwtVerify(token, await this.keySets.keySet(issuer.jwksUri, maxCachedAgeMs), {
      issuer: issuer.issuer,
      audience: issuer.audience,
      algorithms: ALGORITHMS,
      requiredClaims: ['exp', 'sub'],
      clockTolerance: CLOCK_TOLERANCE,
      currentDate: new Date(this.deps.clock.now() * 1000),
    });
    return payload;
  }
}
