/**
 * DPoP (RFC 9449) for the token endpoint and the protected resources: the proof checks (proof.ts), the server
 * nonce (nonce.ts) and the one-time jti. A jti is refused when this node remembers it (a bounded in-memory set,
 * so a replay burst costs no query) and otherwise recorded through the replay guard every node shares (the
 * database, with Redis in front when `redis.url` is set), which stays the authority.
 */
import type { Config } from '../config/schema.js';
import type { ReplayGuard } from '../limits/shared-replay.js';
import type { Clock } from '../oauth/clock.js';
import { InvalidDpopProof, UseDpopNonce } from '../oauth/errors.js';
import { sha256 } from '../oauth/hash.js';
import type { DpopNonces } from './nonce.js';
import { DPOP_ALGS, verifyProof, type VerifiedProof } from './proof.js';
import { ProofKeyCache } from './proof-keys.js';

export interface DpopDeps {
  config: Config['auth']['dpop'];
  nonces: DpopNonces;
  replay: ReplayGuard;
  clock: Clock;
  issuer: string;
}

export interface ProofRequest {
  /** The DPoP header value(s) as received. */
  header: string | string[] | undefined;
  method: string;
  /** The endpoint path under the issuer (`/oauth/token`). */
  path: string;
  accessToken?: string | undefined;
}

export class DpopService {
  private readonly deps: DpopDeps;
  /** jti hash → expiry, insertion-ordered so the oldest go first once the set is full. */
  private readonly seen = new Map<string, number>();
  /** Proof keys imported once per key (proof-keys.ts). */
  private readonly keys = new ProofKeyCache(10_000);

  constructor(deps: DpopDeps) {
    this.deps = deps;
  }

  get enabled(): boolean {
    return this.deps.config.enabled;
  }

  /** The `WWW-Authenticate` algs parameter and discovery's `dpop_signing_alg_values_supported`. */
  get algs(): readonly string[] {
    return DPOP_ALGS;
  }

  /** The nonce to send in `DPoP-Nonce`. */
  nonce(): string {
    return this.deps.nonces.current();
  }

  /**
   * The verified proof of a request, or undefined when it carries none (or DPoP is off). Throws
   * InvalidDpopProof or UseDpopNonce (status 400; a resource turns them into its 401 challenge).
   */
  async verify(request: ProofRequest): Promise<VerifiedProof | undefined> {
    if (!this.deps.config.enabled || request.header === undefined) return undefined;
    // RFC 9449 §4.3 ¶1: exactly one DPoP header field.
    if (Array.isArray(request.header) || request.header.includes(',')) throw new InvalidDpopProof('send exactly one DPoP header');
    const now = this.deps.clock.now();
    const maxAge = this.deps.config.proofMaxAge;
    const proof = await verifyProof(request.header, { method: request.method, url: `${this.deps.issuer}${request.path}`, now, maxAge, accessToken: request.accessToken }, this.keys.resolve);
    // RFC 9449 §8: a stale nonce is always answered with a fresh one; none at all only when nonces are required.
    if (proof.nonce !== undefined ? !this.deps.nonces.accepts(proof.nonce) : this.deps.config.requireNonce) {
      throw new UseDpopNonce(this.nonce(), proof.nonce === undefined ? 'no nonce' : 'stale nonce');
    }
    // Remembered for as long as its iat keeps it acceptable (a proof dated ahead lives past now + maxAge).
    await this.useJti(proof, Math.ceil(proof.iat) + maxAge);
    return proof;
  }

  /**
   * RFC 9449 §7: the proof a protected resource requires with `Authorization: DPoP <token>` (ath checked). A
   * missing or failing proof becomes the resource's 401 with a `DPoP` challenge naming the error and the algs.
   */
  async verifyAtResource(request: ProofRequest & { accessToken: string }): Promise<VerifiedProof> {
    try {
      const proof = await this.verify(request);
      if (!proof) throw new InvalidDpopProof('a DPoP proof is required with the DPoP authorization scheme');
      return proof;
    } catch (err) {
      if (err instanceof InvalidDpopProof || err instanceof UseDpopNonce) throw this.challenge(err);
      throw err;
    }
  }

  /** The 401 form of an error at a protected resource (RFC 9449 §7.1): `WWW-Authenticate: DPoP error=…, algs=…`. */
  challenge<E extends InvalidDpopProof | UseDpopNonce>(err: E): E {
    err.status = 401;
    err.headers['www-authenticate'] = this.challengeHeader(err.error);
    return err;
  }

  /** `DPoP error="…", algs="…"` (RFC 9449 §7.1). */
  challengeHeader(error?: string): string {
    return `DPoP ${error ? `error="${error}", ` : ''}algs="${DPOP_ALGS.join(' ')}"`;
  }

  private async useJti(proof: VerifiedProof, expiresAt: number): Promise<void> {
    const now = this.deps.clock.now();
    // Keyed by the proof key too: two clients picking the same jti do not collide.
    const hash = sha256(`${proof.jkt}.${proof.jti}`);
    const known = this.seen.get(hash);
    if (known !== undefined && known > now) throw new InvalidDpopProof('the DPoP proof was already used');
    if (!(await this.deps.replay.useAssertionJti(hash, expiresAt, now))) {
      this.remember(hash, expiresAt);
      throw new InvalidDpopProof('the DPoP proof was already used');
    }
    this.remember(hash, expiresAt);
  }

  private remember(hash: string, expiresAt: number): void {
    this.seen.delete(hash);
    this.seen.set(hash, expiresAt);
    while (this.seen.size > this.deps.config.replayCacheSize) this.seen.delete(this.seen.keys().next().value as string);
  }
}
