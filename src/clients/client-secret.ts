/**
 * Client secret hashing, designed to be safe at rest and fast at the token endpoint (docs/SECURITY.md):
 * - server-generated secrets carry 256 bits of entropy, so a keyed SHA-256 (HMAC under a pepper derived from
 *   the encryption key) cannot be brute-forced and costs about a microsecond;
 * - operator-supplied secrets may be guessable, so they get argon2id, and a successful verification is cached
 *   briefly, keyed by the secret row and an HMAC of the presented value. The cache is consulted only for secret
 *   rows the database still returns as valid, so it never outlives a rotation or a deletion;
 * - argon2id verifications go through a bounded queue with a per-client share, so a flood of wrong secrets for
 *   one client is refused with 503 instead of slowing every sign-in (issue 10, item 9).
 */
import { hkdfSync } from 'node:crypto';
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import type { BoundedQueue } from '../oauth/bounded-queue.js';
import { digestsEqual, hmacSha256 } from '../oauth/hash.js';
import { randomToken } from '../oauth/random.js';
import type { ClientSecret, SecretKind } from './client.js';

const CACHE_SECONDS = 300;
const CACHE_MAX = 10_000;

export class SecretHasher {
  private readonly pepper: Buffer;
  private readonly verified = new Map<string, number>();
  /**
   * Verifications in flight by (row, presented value): concurrent requests with the same credentials (a client
   * redeeming many codes at once after a restart) share one argon2id run instead of each taking a queue slot.
   * Distinct wrong guesses still each take their own slot, so a flood stays bounded by the queue.
   */
  private readonly inFlight = new Map<string, Promise<boolean>>();
  private readonly queue: BoundedQueue | undefined;

  constructor(encryptionKey: Buffer, queue?: BoundedQueue) {
    this.queue = queue;
    this.pepper = Buffer.from(hkdfSync('sha256', encryptionKey, Buffer.alloc(0), 'gatehouse client-secret pepper', 32));
  }

  /** A new server-generated secret: 256 bits, base64url (URL-safe, so HTTP Basic needs no escaping). */
  generate(): string {
    return randomToken(32);
  }

  async hash(secret: string, kind: SecretKind): Promise<string> {
    return kind === 'hmac-sha256' ? hmacSha256(this.pepper, secret) : argon2Hash(secret);
  }

  /**
   * The checks that cost about a microsecond: HMAC rows, and argon2id rows whose match is cached. `unknown` when
   * only an argon2id hash could tell (the caller takes a rate-limit slot before asking `verify`).
   */
  quickMatch(secrets: readonly ClientSecret[], presented: string, now: number): 'match' | 'mismatch' | 'unknown' {
    const presentedMac = hmacSha256(this.pepper, presented);
    let ok = false;
    let unknown = false;
    for (const s of secrets) {
      if (s.kind === 'hmac-sha256') {
        if (digestsEqual(s.hash, presentedMac)) ok = true;
        continue;
      }
      const until = this.verified.get(`${s.id}:${s.hash}:${presentedMac}`);
      if (until !== undefined && until > now) ok = true;
      else unknown = true;
    }
    if (ok) return 'match';
    return unknown ? 'unknown' : 'mismatch';
  }

  /**
   * True when `presented` matches one of the valid `secrets`. `tried` collects the argon2id rows already found
   * not to match, so a caller that checks again (after re-reading the database) never hashes one twice.
   * Throws TemporarilyUnavailable when the hashing queue refuses the work.
   */
  async verify(secrets: readonly ClientSecret[], presented: string, now: number, tried = new Set<string>()): Promise<boolean> {
    const presentedMac = hmacSha256(this.pepper, presented);
    let ok = false;
    // Check every HMAC secret (no early exit) so timing does not reveal which one matched.
    for (const s of secrets) if (s.kind === 'hmac-sha256' && digestsEqual(s.hash, presentedMac)) ok = true;
    if (ok) return true;
    for (const s of secrets) {
      if (s.kind !== 'argon2id') continue;
      const key = `${s.id}:${s.hash}:${presentedMac}`;
      const until = this.verified.get(key);
      if (until !== undefined && until > now) return true;
      if (tried.has(key)) continue;
      tried.add(key);
      let running = this.inFlight.get(key);
      if (!running) {
        const check = () => argon2Verify(s.hash, presented).catch(() => false);
        running = (this.queue ? this.queue.run(check, s.clientId) : check()).finally(() => this.inFlight.delete(key));
        this.inFlight.set(key, running);
      }
      if (await running) {
        if (this.verified.size >= CACHE_MAX) this.verified.clear();
        this.verified.set(key, now + CACHE_SECONDS);
        return true;
      }
    }
    return false;
  }
}
