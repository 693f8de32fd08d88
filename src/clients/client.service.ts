/**
 * The client registry: every way a client is created, changed, rotated or deleted goes through here, so a rule
 * lives once (the metadata rules in client-metadata.ts, the secret rules below).
 */
import { randomUUID } from 'node:crypto';
import { record, type AuditContext } from '../audit/audit-event.js';
import type { AuditStore } from '../audit/audit.store.js';
import type { Clock } from '../oauth/clock.js';
import { Conflict, InvalidClientMetadata, NotFound } from '../oauth/errors.js';
import { constantTimeEqual, sha256 } from '../oauth/hash.js';
import { randomToken } from '../oauth/random.js';
import type { SecretBox } from '../oauth/secret-box.js';
import { ProjectErrors } from '../projects/errors.js';
import type { Client, SecretKind } from './client.js';
import {
  validateClientMetadata,
  type ClientMetadataInput,
  type MetadataContext,
  type Registrar,
} from './client-metadata.js';
import { resolveSector, type SectorFetcher } from '../subjects/sector.js';
import type { ClientStore } from './client.store.js';
import type { SecretHasher } from './client-secret.js';
import type { RegistrationTokenStore } from './registration-token.store.js';

const CLIENT_ID = /^[A-Za-z0-9._~-]{1,128}$/;
const SUPPLIED_SECRET = /^[A-Za-z0-9._~-]{32,256}$/;

export interface ClientServiceDeps {
  clients: ClientStore;
  registrationTokens: RegistrationTokenStore;
  /** Runs `fn` with stores bound to one transaction. */
  transaction<T>(fn: (stores: { clients: ClientStore; audit: AuditStore }) => Promise<T>): Promise<T>;
  hasher: SecretHasher;
  box: SecretBox;
  clock: Clock;
  metadata: Omit<MetadataContext, 'registrar'>;
  /** The scope registry's check: registered for the project, operator-only scopes only from an operator. */
  scopes: { checkClientScopes(projectId: string, scopes: readonly string[], byOperator: boolean): Promise<void> };
  /** Where clients created without a project go (dynamic registration, the seeder). */
  defaultProjectId(): Promise<string>;
  /** RFC 7591 §3: who may register. `open` lets anyone; otherwise an initial access token is needed. */
  registration?: { open: boolean; initialAccessTokens: readonly string[] };
  /** Fetches sector_identifier_uri documents (src/outbound/); without it such clients are refused. */
  sectorFetcher?: SectorFetcher;
}

export interface CreateOptions {
  registrar: Registrar;
  projectId?: string | undefined;
  isDefault?: boolean;
}

export interface CreatedClient {
  client: Client;
  /** Returned once, at creation; only its hash is kept. */
  clientSecret?: string | undefined;
  /** RFC 7592 registration access token, for dynamically registered clients. */
  registrationAccessToken?: string | undefined;
}

export const needsSecret = (c: Pick<Client, 'tokenEndpointAuthMethod'>): boolean =>
  ['client_secret_basic', 'client_secret_post', 'client_secret_jwt'].includes(c.tokenEndpointAuthMethod);

export class ClientService {
  private readonly deps: ClientServiceDeps;

  constructor(deps: ClientServiceDeps) {
    this.deps = deps;
  }

  async get(clientId: string): Promise<Client> {
    const client = await this.deps.clients.find(clientId);
    if (!client) throw new NotFound(`client ${clientId} not found`);
    return client;
  }

  /** Looks a client up without throwing (the token and authorize endpoints map absence themselves). */
  async find(clientId: string): Promise<Client | undefined> {
    return CLIENT_ID.test(clientId) ? this.deps.clients.find(clientId) : undefined;
  }

  async list(projectId?: string): Promise<Client[]> {
    return this.deps.clients.list(projectId);
  }

  async create(input: ClientMetadataInput, options: CreateOptions, ctx?: AuditContext): Promise<CreatedClient> {
    const fields = validateClientMetadata(input, { ...this.deps.metadata, registrar: options.registrar });
    const operator = options.registrar === 'operator';
    const sectorHost = await resolveSector(fields, this.deps.sectorFetcher);
    const projectId = options.projectId ?? (await this.deps.defaultProjectId());
    await this.deps.scopes.checkClientScopes(projectId, fields.scopes, operator);
    const clientId = operator && input['client_id'] !== undefined ? this.checkClientId(input['client_id']) : randomUUID();
    const supplied = operator ? this.checkSuppliedSecret(input['client_secret']) : undefined;
    if (!operator && input['client_secret'] !== undefined) throw new InvalidClientMetadata('client_secret: is assigned by the server');
    const now = this.deps.clock.now();
    const secret = needsSecret(fields) ? (supplied ?? this.deps.hasher.generate()) : undefined;
    if (!secret && supplied) throw new InvalidClientMetadata('client_secret: this client does not use a secret');
    const registrationAccessToken = options.registrar === 'dynamic' ? randomToken() : undefined;
    const client: Client = {
      ...fields,
      sectorHost,
      clientId,
      projectId,
      isDefault: options.isDefault ?? false,
      secretEnc: secret && fields.tokenEndpointAuthMethod === 'client_secret_jwt' ? this.sealSecret(clientId, secret) : null,
      registrationAccessTokenHash: registrationAccessToken ? sha256(registrationAccessToken) : null,
      createdAt: now,
      updatedAt: now,
    };
    await this.deps.transaction(async ({ clients, audit }) => {
      if (await clients.find(clientId)) throw new Conflict(`client ${clientId} already exists`);
      await clients.insert(client);
      if (secret) await this.addSecret(clients, clientId, secret, supplied ? 'argon2id' : 'hmac-sha256', now);
      // A self-registered client (RFC 7591) is its own actor: nobody else is authenticated.
      const actor = ctx?.actor ?? (options.registrar === 'dynamic' ? { type: 'client' as const, id: clientId } : undefined);
      await record(audit, now, { action: 'client.created', actor, ...this.target(client), detail: { registrar: options.registrar } }, ctx);
    });
    this.deps.clients.forget?.(clientId);
    return { client, clientSecret: supplied ? undefined : secret, registrationAccessToken };
  }

  /** Replaces the client's metadata (RFC 7592 §2.2 semantics: the request is the full new metadata). */
  async update(clientId: string, input: ClientMetadataInput, registrar: Registrar, ctx?: AuditContext): Promise<Client> {
    const current = await this.get(clientId);
    if (input['client_id'] !== undefined && input['client_id'] !== clientId) {
      throw new InvalidClientMetadata('client_id: does not match the client being updated');
    }
    if (input['client_secret'] !== undefined) throw new InvalidClientMetadata('client_secret: use rotate-secret to change it');
    const fields = validateClientMetadata(input, { ...this.deps.metadata, registrar });
    await this.deps.scopes.checkClientScopes(current.projectId, fields.scopes, registrar === 'operator');
    if (needsSecret(fields) !== needsSecret(current)) {
      throw new InvalidClientMetadata('token_endpoint_auth_method: cannot switch between secret and non-secret methods');
    }
    if (current.isDefault && fields.clientType !== 'public') throw new Conflict('the default client must stay public');
    const sectorHost = await resolveSector(fields, this.deps.sectorFetcher);
    const updated: Client = { ...current, ...fields, sectorHost, updatedAt: this.deps.clock.now() };
    const changed = Object.keys(fields).filter((k) => JSON.stringify(current[k as keyof Client]) !== JSON.stringify(updated[k as keyof Client]));
    await this.deps.transaction(async ({ clients, audit }) => {
      await clients.update(updated);
      await record(audit, updated.updatedAt, { action: 'client.updated', ...this.target(updated), detail: { changed } }, ctx);
    }).finally(() => this.deps.clients.forget?.(clientId));
    return updated;
  }

  /** Issues a new secret; the old ones keep working for `graceSeconds` (0 = they stop now). */
  async rotateSecret(
    clientId: string,
    graceSeconds: number,
    supplied?: string,
    ctx?: AuditContext,
  ): Promise<{ clientSecret: string; previousValidUntil: number }> {
    const now = this.deps.clock.now();
    const secret = supplied === undefined ? this.deps.hasher.generate() : this.checkSuppliedSecret(supplied)!;
    this.deps.clients.forget?.(clientId);
    return this.deps.transaction(async ({ clients, audit }) => {
      const client = await clients.find(clientId);
      if (!client) throw new NotFound(`client ${clientId} not found`);
      if (!needsSecret(client)) throw new Conflict(`client ${clientId} does not authenticate with a secret`);
      const id = await this.addSecret(clients, clientId, secret, supplied ? 'argon2id' : 'hmac-sha256', now);
      await clients.expireSecrets(clientId, id, now + graceSeconds);
      if (client.tokenEndpointAuthMethod === 'client_secret_jwt') {
        await clients.update({ ...client, secretEnc: this.sealSecret(clientId, secret), updatedAt: now });
      }
      await record(audit, now, { action: 'client.secret_rotated', ...this.target(client), detail: { grace_seconds: graceSeconds } }, ctx);
      return { clientSecret: secret, previousValidUntil: now + graceSeconds };
    }).finally(() => this.deps.clients.forget?.(clientId));
  }

  /** Deletes a client; its grants, codes and refresh tokens go with it. The default client cannot be deleted. */
  async delete(clientId: string, ctx?: AuditContext): Promise<void> {
    const client = await this.get(clientId);
    if (client.isDefault) throw ProjectErrors.defaultClient();
    await this.deps.transaction(async ({ clients, audit }) => {
      await clients.delete(clientId);
      await record(audit, this.deps.clock.now(), { action: 'client.deleted', ...this.target(client) }, ctx);
    }).finally(() => this.deps.clients.forget?.(clientId));
  }

  /** Reads back a client_secret_jwt client's secret (needed to verify its HMAC assertions). */
  openSecret(client: Client): string | undefined {
    return client.secretEnc ? this.deps.box.open(client.secretEnc, `client-secret:${client.clientId}`) : undefined;
  }

  /** RFC 7591 §3: creates an initial access token; returns it once. */
  async createRegistrationToken(uses: number | null, ttlSeconds: number | null): Promise<{ token: string; expiresAt: number | null }> {
    const token = randomToken();
    const now = this.deps.clock.now();
    const expiresAt = ttlSeconds === null ? null : now + ttlSeconds;
    await this.deps.registrationTokens.insert({ tokenHash: sha256(token), usesRemaining: uses, createdAt: now, expiresAt });
    return { token, expiresAt };
  }

  /**
   * May the bearer of `token` register a client? Configured tokens are reusable; tokens made by
   * `gatehouse registration-tokens create` spend one use each.
   */
  async mayRegister(token: string | undefined): Promise<boolean> {
    const rules = this.deps.registration;
    if (rules?.open) return true;
    if (!token) return false;
    if (rules?.initialAccessTokens.some((t) => t.length > 0 && constantTimeEqual(t, token))) return true;
    return this.deps.registrationTokens.consume(sha256(token), this.deps.clock.now());
  }

  /** RFC 7592: the client a registration access token belongs to. */
  async findByRegistrationToken(token: string): Promise<Client | undefined> {
    return this.deps.clients.findByRegistrationToken(sha256(token));
  }

  private target(client: Client) {
    return { target: { type: 'client', id: client.clientId }, projectId: client.projectId };
  }

  private sealSecret(clientId: string, secret: string): string {
    return this.deps.box.seal(secret, `client-secret:${clientId}`);
  }

  private async addSecret(clients: ClientStore, clientId: string, secret: string, kind: SecretKind, now: number): Promise<string> {
    const id = randomUUID();
    await clients.addSecret({ id, clientId, hash: await this.deps.hasher.hash(secret, kind), kind, createdAt: now, expiresAt: null });
    return id;
  }

  private checkClientId(value: unknown): string {
    if (typeof value !== 'string' || !CLIENT_ID.test(value)) {
      throw new InvalidClientMetadata('client_id: 1-128 URL-safe characters (A-Z a-z 0-9 . _ ~ -)');
    }
    return value;
  }

  private checkSuppliedSecret(value: unknown): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || !SUPPLIED_SECRET.test(value)) {
      throw new InvalidClientMetadata('client_secret: at least 32 URL-safe characters (A-Z a-z 0-9 . _ ~ -)');
    }
    return value;
  }
}
