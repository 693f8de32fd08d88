/**
 * RFC 9449 §8/§9 server nonces without shared state: a nonce is HMAC-SHA-256(key, window index), truncated to
 * 128 bits and base64url-encoded, with the key derived by HKDF from `security.encryptionKey`. Every node holding
 * the same key mints the same nonce in the same window and accepts the nonces of the current and the previous
 * window, so a client may hop between nodes and a nonce lives between one and two windows. Nothing is stored.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import type { Clock } from '../oauth/clock.js';
import { digestsEqual } from '../oauth/hash.js';

export class DpopNonces {
  private readonly key: Buffer;
  private readonly window: number;
  private readonly clock: Clock;

  /** `window` in seconds (at most 300, config-checked). */
  constructor(secret: Buffer, window: number, clock: Clock) {
    this.key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'gatehouse dpop nonce v1', 32));
    this.window = window;
    this.clock = clock;
  }

  /** The nonce of the current window (what `DPoP-Nonce` carries). */
  current(): string {
    return this.forWindow(this.index());
  }

  /** True for the nonce of the current or the previous window. */
  accepts(nonce: string): boolean {
    const i = this.index();
    // Both comparisons always run: which window matched is not observable.
    const now = digestsEqual(nonce, this.forWindow(i));
    const previous = digestsEqual(nonce, this.forWindow(i - 1));
    return now || previous;
  }

  private index(): number {
    return Math.floor(this.clock.now() / this.window);
  }

  private forWindow(index: number): string {
    return createHmac('sha256', this.key).update(String(index)).digest().subarray(0, 16).toString('base64url');
  }
}
