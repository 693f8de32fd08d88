/**
 * The scope registry. A client may hold only registered scopes: the built-in ones (openid, profile, email,
 * address, phone, offline_access, admin) or custom scopes of its own project. Operator-only scopes (admin, and
 * any custom scope marked so) are given to clients by operators alone, and granted to people only when their role
 * allows it (projects/operator-scopes.ts). The consent page shows each scope's description.
 */
import { randomUUID } from 'node:crypto';
import { record, type AuditContext } from '../audit/audit-event.js';
import type { AuditStore } from '../audit/audit.store.js';
import type { Clock } from '../oauth/clock.js';
import { hasControlCharacters } from '../oauth/text.js';
import { InvalidClientMetadata, InvalidRequest } from '../oauth/errors.js';
import { isScopeToken } from '../oauth/scope.js';
import type { Authority } from '../projects/authority.js';
import { ProjectErrors } from '../projects/errors.js';
import type { MemberRole } from '../projects/project.store.js';
import type { ScopeDefinition, ScopeStore } from './scope.store.js';

export interface ScopeRegistryDeps {
  store: ScopeStore;
  /**
   * The authorization path's reads (operator-only scopes, consent descriptions) may come from a short cache
   * (cached-scope.store.ts); registration checks and listings always read the store.
   */
  cached?: Pick<ScopeStore, 'visibleTo'>;
  /** Runs `fn` with stores bound to one transaction: a registry change commits with its audit event. */
  transaction<T>(fn: (stores: { scopes: ScopeStore; audit: AuditStore }) => Promise<T>): Promise<T>;
  clock: Clock;
  /** Fails unless the authority holds `minimum` in the project (ProjectService.require). */
  requireRole(authority: Authority, projectId: string, minimum: MemberRole): Promise<unknown>;
}

export interface NewScope {
  name?: unknown;
  description?: unknown;
  operator_only?: unknown;
}

export class ScopeRegistry {
  private readonly deps: ScopeRegistryDeps;

  constructor(deps: ScopeRegistryDeps) {
    this.deps = deps;
  }

  async list(authority: Authority, projectId: string): Promise<ScopeDefinition[]> {
    await this.deps.requireRole(authority, projectId, 'member');
    return this.deps.store.visibleTo(projectId);
  }

  async create(authority: Authority, projectId: string, input: NewScope, ctx?: AuditContext): Promise<ScopeDefinition> {
    await this.deps.requireRole(authority, projectId, 'admin');
    const { name, description } = input;
    if (typeof name !== 'string' || !isScopeToken(name) || name.length > 128) throw new InvalidRequest('name: a scope token (RFC 6749 §3.3), at most 128 characters');
    if (typeof description !== 'string' || !description.trim() || description.length > 200 || hasControlCharacters(description)) {
      throw new InvalidRequest('description: 1-200 characters, no control characters');
    }
    if (input.operator_only !== undefined && typeof input.operator_only !== 'boolean') throw new InvalidRequest('operator_only: must be true or false');

    const scope: ScopeDefinition = {
      id: randomUUID(),
      projectId,
      name,
      description: description.trim(),
      operatorOnly: input.operator_only === true,
      createdAt: this.deps.clock.now(),
    };
    await this.deps.transaction(async ({ scopes, audit }) => {
      if (await scopes.find(projectId, name)) throw ProjectErrors.scopeExists();
      await scopes.insert(scope);
      await record(audit, scope.createdAt, { action: 'scope.created', target: { type: 'scope', id: name }, projectId, detail: { operator_only: scope.operatorOnly } }, ctx);
    });
    return scope;
  }

  async delete(authority: Authority, projectId: string, name: string, ctx?: AuditContext): Promise<void> {
    await this.deps.requireRole(authority, projectId, 'admin');
    const scope = await this.deps.store.find(projectId, name);
    if (!scope || scope.projectId === null) throw ProjectErrors.scopeNotFound();
    const holders = await this.deps.store.holders(projectId, name);
    if (holders.length) throw new InvalidRequest(`scope ${name} is held by ${holders.length} client(s); remove it from them first`);
    await this.deps.transaction(async ({ scopes, audit }) => {
      await scopes.delete(projectId, name);
      await record(audit, this.deps.clock.now(), { action: 'scope.deleted', target: { type: 'scope', id: name }, projectId }, ctx);
    });
  }

  /**
   * Checks the scopes a client is being given: each registered for the client's project, operator-only ones only
   * from an operator. Throws invalid_client_metadata naming the first scope refused.
   */
  async checkClientScopes(projectId: string, scopes: readonly string[], byOperator: boolean): Promise<void> {
    if (scopes.length === 0) return;
    const known = new Map((await this.deps.store.visibleTo(projectId)).map((s) => [s.name, s]));
    for (const name of scopes) {
      const def = known.get(name);
      if (!def) throw new InvalidClientMetadata(`scope: ${name} is not a registered scope`);
      if (def.operatorOnly && !byOperator) throw new InvalidClientMetadata(`scope: ${name} can only be granted by an operator`);
    }
  }

  /** The operator-only scopes among `scopes`, for the client's project. */
  async operatorOnly(projectId: string, scopes: readonly string[]): Promise<ScopeDefinition[]> {
    if (scopes.length === 0) return [];
    return (await this.visibleFor(projectId, scopes)).filter((s) => s.operatorOnly && scopes.includes(s.name));
  }

  /** Descriptions for the consent page, registry first (custom scopes carry their own). */
  async describe(projectId: string, scopes: readonly string[]): Promise<Array<{ name: string; description: string }>> {
    const known = new Map((await this.visibleFor(projectId, scopes)).map((s) => [s.name, s.description]));
    return scopes.map((name) => ({ name, description: known.get(name) ?? `Access “${name}”` }));
  }

  /**
   * The registry for the authorization path: the short cache when it knows every scope asked about, else the
   * store (a scope created elsewhere moments ago is never taken for an ordinary one because the cache missed it).
   */
  private async visibleFor(projectId: string, names: readonly string[]): Promise<ScopeDefinition[]> {
    if (this.deps.cached) {
      const cached = await this.deps.cached.visibleTo(projectId);
      if (names.every((n) => cached.some((s) => s.name === n))) return cached;
    }
    return this.deps.store.visibleTo(projectId);
  }
}
