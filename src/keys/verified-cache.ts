/**
 * Remembers tokens whose signature this process already verified, until they expire. Resource servers
 * introspect the same token many times; the exact token string is the key, so a cached answer is only ever
 * about identical bytes. Revocation is not cached: callers check it on every use. Bounded; cleared when full.
 */
import type { JWTPayload } from 'jose';

export class VerifiedTokenCache {
  private readonly entries = new Map<string, JWTPayload>();
  private readonly max: number;

  constructor(max = 10_000) {
    this.max = max;
  }

  get(token: string, now: number): JWTPayload | undefined {
    const payload = this.entries.get(token);
    if (payload && (payload.exp ?? 0) > now) return payload;
    if (payload) this.entries.delete(token);
    return undefined;
  }

  set(token: string, payload: JWTPayload): void {
    if (this.entries.size >= this.max) this.entries.clear();
    this.entries.set(token, payload);
  }
}
