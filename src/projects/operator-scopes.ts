/**
 * Operator scopes at authorization: a person is granted an operator-only scope only when their role allows it
 * at that moment — `admin` when they administer some project (the admin API then checks the project of each
 * resource on every request), a custom operator-only scope when they administer the client's project. Anything
 * else asked for is untouched; RFC 6749 §3.3 lets the server grant less than requested, and the token
 * response's `scope` says what was granted.
 */
import type { ScopeRegistry } from '../scopes/scope.service.js';
import { administersAnything, holds } from './authority.js';
import type { ProjectService } from './project.service.js';

export class OperatorScopeGate {
  private readonly projects: ProjectService;
  private readonly scopes: ScopeRegistry;

  constructor(projects: ProjectService, scopes: ScopeRegistry) {
    this.projects = projects;
    this.scopes = scopes;
  }

  /** The requested scopes the user may be granted for this client (order kept). */
  async grantable(projectId: string, userId: string, requested: readonly string[]): Promise<string[]> {
    const operatorOnly = await this.scopes.operatorOnly(projectId, requested);
    if (operatorOnly.length === 0) return [...requested];
    const authority = await this.projects.authority({ kind: 'user', userId });
    const withheld = new Set(
      operatorOnly
        .filter((s) => !(s.projectId === null ? administersAnything(authority) : holds(authority, projectId, 'admin')))
        .map((s) => s.name),
    );
    return requested.filter((s) => !withheld.has(s));
  }
}
