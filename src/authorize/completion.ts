/**
 * Where an authorization ends when it has no redirect URI: the completion target its request carries. Today
 * the one such target is a device authorization (RFC 8628, src/device/): the interaction's login and consent
 * are the code flow's, but instead of issuing a code and redirecting, the completion approves (or denies) the
 * device authorization inside the completing transaction, and the browser is shown a page.
 */
import type { Grant } from './code.store.js';

export interface Completion {
  kind: 'device';
  /** The device authorization's id. */
  id: string;
}

/** What the consent gave: recorded on the device authorization with its grant. */
export interface Approval {
  userId: string;
  authTime: number;
  amr: string[];
}

/** The completion's writes, bound to the completing transaction (storage/kysely/device.kysely.ts). */
export interface CompletionStore {
  /**
   * One conditional statement (pending and not expired → approved, with user, grant, auth_time, amr), then the
   * grant; false and nothing written when the authorization was no longer pending or has expired.
   */
  approve(id: string, grant: Grant, approval: Approval, now: number): Promise<boolean>;
  /** Pending → denied; a decided or expired authorization stays as it is. */
  deny(id: string, now: number): Promise<void>;
}
