/**
 * Who may do what (docs/SECURITY.md, "Operator authority"). Authority is computed from the server's own records
 * at the moment of use — memberships for a person, the holding client's project and current scopes for operator
 * automation — never from what a token claims beyond who its subject is.
 *
 * - The default project is the installation's own. Its owner is the superadmin; its owners and admins are the
 *   installation's operators: they manage users and projects, read the whole audit log, and act as admin in every
 *   project.
 * - In any other project, `admin` and `owner` manage that project's clients, members and scopes; `member` gives
 *   no operator power.
 * - A client_credentials client holding the `admin` scope acts as an admin of its own project only.
 */
import { ProjectErrors } from './errors.js';
import type { MemberRole } from './project.store.js';

export type Actor =
  | { kind: 'system' }
  | { kind: 'user'; userId: string }
  | { kind: 'client'; clientId: string; projectId: string };

export interface Authority {
  actor: Actor;
  /** Installation-wide operator (admin or owner of the default project, or the CLI). */
  operator: boolean;
  /** The owner of the default project (or the CLI). */
  superadmin: boolean;
  /** The actor's role in each project it belongs to. */
  roles: ReadonlyMap<string, MemberRole>;
}

const RANK: Record<MemberRole, number> = { member: 1, admin: 2, owner: 3 };

export const SYSTEM: Authority = { actor: { kind: 'system' }, operator: true, superadmin: true, roles: new Map() };

export function authorityOf(actor: Actor, roles: ReadonlyMap<string, MemberRole>, defaultProjectId: string): Authority {
  const inDefault = roles.get(defaultProjectId);
  return {
    actor,
    operator: inDefault !== undefined && RANK[inDefault] >= RANK.admin,
    superadmin: actor.kind === 'user' && inDefault === 'owner',
    roles,
  };
}

/** True when the authority holds at least `minimum` in the project (operators hold admin everywhere). */
export function holds(authority: Authority, projectId: string, minimum: MemberRole): boolean {
  if (authority.operator && RANK[minimum] <= RANK.admin) return true;
  if (authority.superadmin) return true;
  const role = authority.roles.get(projectId);
  return role !== undefined && RANK[role] >= RANK[minimum];
}

/** True when the authority may use the admin API at all (admin somewhere). */
export function administersAnything(authority: Authority): boolean {
  return authority.operator || [...authority.roles.values()].some((r) => RANK[r] >= RANK.admin);
}

/** Installation-wide operations (users, projects, the whole audit log) need an installation operator. */
export function requireOperator(authority: Authority): void {
  if (!authority.operator && !authority.superadmin) throw ProjectErrors.insufficientPermissions();
}
