import { randomFillSync } from 'node:crypto';

/**
 * Random bytes come from the CSPRNG in 4 KiB batches and each byte is handed out once: one call into OpenSSL per
 * batch instead of one per token (the same buffering Node's randomUUID does). Bytes are wiped as they are
 * handed out, so no copy of an issued token stays behind in the pool.
 */
const POOL_SIZE = 4096;
const pool = Buffer.alloc(POOL_SIZE);
let offset = POOL_SIZE;

/** A URL-safe random token with `bytes` bytes of entropy (32 bytes = 256 bits by default). */
export function randomToken(bytes = 32): string {
  if (bytes > POOL_SIZE) return randomFillSync(Buffer.alloc(bytes)).toString('base64url');
  if (offset + bytes > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const token = pool.toString('base64url', offset, offset + bytes);
  pool.fill(0, offset, offset + bytes);
  offset += bytes;
  return token;
}
