/**
 * Subject identifiers (OpenID Connect Core §8). A public client sees the local user id; a pairwise client sees
 * HMAC-SHA256(key, sector host ‖ user id): stable for the sector, unlinkable across sectors, and not reversible
 * without the key. The key is derived (HKDF) from `security.encryptionKey`, so rotating that key changes every
 * pairwise subject (docs/SECURITY.md).
 */
import { createHmac, hkdfSync } from 'node:crypto';
import type { Client } from '../clients/client.js';

export type SubjectClient = Pick<Client, 'subjectType' | 'sectorHost'>;

export class SubjectMapper {
  readonly #key: Buffer;

  constructor(encryptionKey: Buffer) {
    this.#key = Buffer.from(hkdfSync('sha256', encryptionKey, Buffer.alloc(0), 'gatehouse pairwise subject v1', 32));
  }

  /** The `sub` a client sees for a local user. */
  subjectFor(client: SubjectClient, userId: string): string {
    if (client.subjectType !== 'pairwise' || !client.sectorHost) return userId;
    // The separator cannot occur in a host name, so (sector, user) pairs never collide.
    return createHmac('sha256', this.#key).update(`${client.sectorHost}\n${userId}`).digest('base64url');
  }
}
