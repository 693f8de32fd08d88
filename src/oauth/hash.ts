import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** base64url(SHA-256(value)): how codes, refresh tokens and session secrets are stored and looked up. */
export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

/** base64url(HMAC-SHA-256(key, value)): a keyed digest, so a stolen table alone cannot be brute-forced offline. */
export function hmacSha256(key: Buffer, value: string): string {
  return createHmac('sha256', key).update(value).digest('base64url');
}

/** Constant-time comparison of two digests of the same, public length (e.g. two HMAC outputs). */
export function digestsEqual(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/**
 * Constant-time string comparison. Both sides are hashed first so the comparison takes the same time whatever
 * the lengths, and no length is leaked.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}
