import type { Client, ClientSecret } from './client.js';

export interface ClientStore {
  find(clientId: string): Promise<Client | undefined>;
  findByRegistrationToken(hash: string): Promise<Client | undefined>;
  /** Every client, or one project's. */
  list(projectId?: string): Promise<Client[]>;
  insert(client: Client): Promise<void>;
  update(client: Client): Promise<void>;
  /** Deletes the client; its scopes, secrets, grants, codes and refresh tokens go with it (foreign keys cascade). */
  delete(clientId: string): Promise<boolean>;
  /** Secrets still valid at `now`. */
  secrets(clientId: string, now: number): Promise<ClientSecret[]>;
  addSecret(secret: ClientSecret): Promise<void>;
  /** Sets `expiresAt` on every open-ended secret of the client except `keep` (rotation grace). */
  expireSecrets(clientId: string, keep: string, expiresAt: number): Promise<void>;
  /** Drops anything cached about the client (see cached-client.store.ts); a no-op for the database store. */
  forget?(clientId: string): void;
}
