/** RFC 8628 device authorizations: what the device asked for, who approved it, and how often it may poll. */
import type { CompletionStore } from '../authorize/completion.js';

export type DeviceStatus = 'pending' | 'approved' | 'denied' | 'consumed';

export interface DeviceAuthorization {
  id: string;
  clientId: string;
  /** sha256 of the device code (a 256-bit random token). */
  deviceCodeHash: string;
  /** sha256 of the normalised user code (user-code.ts). */
  userCodeHash: string;
  scopes: string[];
  resource: string | null;
  status: DeviceStatus;
  userId: string | null;
  grantId: string | null;
  authTime: number | null;
  amr: string[] | null;
  /** Seconds the device must wait between polls; raised by 5 on every slow_down (§3.5). */
  interval: number;
  lastPolledAt: number | null;
  createdAt: number;
  expiresAt: number;
}

export type PollResult = { kind: 'pending' } | { kind: 'slow_down'; interval: number };

export interface DeviceAuthorizationStore extends CompletionStore {
  /** False when a code hash is taken (a user-code collision: the caller draws again). */
  insert(authorization: DeviceAuthorization): Promise<boolean>;
  findByDeviceCode(deviceCodeHash: string): Promise<DeviceAuthorization | undefined>;
  findByUserCode(userCodeHash: string): Promise<DeviceAuthorization | undefined>;
  /**
   * A poll of a pending authorization: one conditional statement records it when the interval has passed
   * since the last one; otherwise the poll was too fast, the interval grows by 5 s and slow_down is the answer.
   */
  poll(id: string, now: number): Promise<PollResult>;
  /** approved → consumed, once: exactly one of two concurrent polls gets the authorization. */
  consume(deviceCodeHash: string, clientId: string, now: number): Promise<DeviceAuthorization | undefined>;
  /** Deletes authorizations that expired before `before`; returns how many. */
  purgeExpired(before: number): Promise<number>;
}
