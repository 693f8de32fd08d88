/** A pushed authorization request (RFC 9126): its checked parameters, kept under the hash of its reference. */
export interface PushedRequest {
  /** Also the id of the grant its authorization issues: one authorization per push (see par.service.ts). */
  id: string;
  /** sha256 of the request_uri's random part. */
  referenceHash: string;
  clientId: string;
  /** The authorization request's parameters, a request object already merged in. */
  params: Record<string, string>;
  createdAt: number;
  expiresAt: number;
}

export interface PushedRequestStore {
  insert(request: PushedRequest): Promise<void>;
  /** The push, and whether an authorization was already issued from it (its grant exists). */
  find(referenceHash: string): Promise<(PushedRequest & { used: boolean }) | undefined>;
  /** Deletes pushes that expired before `before`; returns how many. */
  purgeExpired(before: number): Promise<number>;
}
