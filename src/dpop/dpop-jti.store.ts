import type { ReplayGuard } from '../limits/shared-replay.js';

/**
 * RFC 9449 §11.1: the proof jtis any node has accepted, as sha256, shared through the database (one INSERT … ON
 * CONFLICT per proof; a live row refuses the second use, an expired one may be taken again). It has the shape of
 * the client-assertion replay guard so Redis can sit in front of it the same way (limits/shared-replay.ts).
 */
export interface DpopJtiStore extends ReplayGuard {
  /** Deletes the jtis whose proofs can no longer be accepted; returns how many. */
  purgeExpired(now: number): Promise<number>;
}
