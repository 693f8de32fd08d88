/**
 * Projects and their members: the one module the CLI and the admin API both call. Every method takes the
 * caller's Authority (authority.ts) and checks it here, so no caller can skip a rule.
 */
import { randomUUID } from 'node:crypto';
import type { UserAccessStore } from '../accounts/user-access.store.js';
import { record, type AuditContext } from '../audit/audit-event.js';
import type { AuditStore } from '../audit/audit.store.js';
import type { User, UserStore } from '../accounts/user.store.js';
import type { Clock } from '../oauth/clock.js';
import { hasControlCharacters } from '../oauth/text.js';
import { InvalidRequest, NotFound } from '../oauth/errors.js';
import { authorityOf, holds, requireOperator, SYSTEM, type Actor, type Authority } from './authority.js';
import { ProjectErrors } from './errors.js';
import { MEMBER_ROLES, type MemberRole, type Project, type ProjectMember, type ProjectStore } from './project.store.js';

export const DEFAULT_PROJECT_SLUG = 'default';

export interface ProjectTxStores {
  projects: ProjectStore;
  access: UserAccessStore;
  audit: AuditStore;
}

export interface ProjectServiceDeps {
  projects: ProjectStore;
  users: UserStore;
  clock: Clock;
  transaction<T>(fn: (stores: ProjectTxStores) => Promise<T>): Promise<T>;
  /** Deletes an account with everything that lets it in (AccountService.delete). */
  deleteAccount?(userId: string, ctx?: AuditContext): Promise<void>;
  /** Told after a change that ended every session of the user has committed (Back-Channel Logout). */
  sessionsEnded?(userId: string): void;
}

export interface MemberView extends ProjectMember {
  email: string;
}

const slugOf = (name: string) =>
  name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);

function checkName(name: unknown): string {
  // C0 controls and DEL have no place in a display name; the slug must not come out empty.
  if (typeof name !== 'string' || name.trim().length === 0 || name.length > 100 || hasControlCharacters(name)) {
    throw new InvalidRequest('name: 1-100 characters, no control characters');
  }
  if (!slugOf(name)) throw new InvalidRequest('name: must contain a letter or digit');
  return name.trim();
}

function checkRole(role: unknown): MemberRole {
  if (typeof role !== 'string' || !(MEMBER_ROLES as readonly string[]).includes(role)) throw ProjectErrors.invalidRole();
  return role as MemberRole;
}

export class ProjectService {
  private readonly deps: ProjectServiceDeps;
  private defaultId: string | undefined;

  constructor(deps: ProjectServiceDeps) {
    this.deps = deps;
  }

  /** The caller's authority, from the memberships stored now (never cached: a removed role counts at once). */
  async authority(actor: Actor): Promise<Authority> {
    if (actor.kind === 'system') return SYSTEM;
    const defaultId = await this.defaultProjectId();
    if (actor.kind === 'client') return authorityOf(actor, new Map([[actor.projectId, 'admin']]), defaultId);
    const roles = new Map((await this.deps.projects.membershipsOf(actor.userId)).map((m) => [m.projectId, m.role] as const));
    return authorityOf(actor, roles, defaultId);
  }

  async defaultProjectId(): Promise<string> {
    if (this.defaultId) return this.defaultId;
    const p = await this.deps.projects.findBySlug(DEFAULT_PROJECT_SLUG);
    if (!p) throw new Error('the default project is missing: run `gatehouse migrate`');
    return (this.defaultId = p.id);
  }

  /** Fails unless the authority holds `minimum` in the project; returns the project. */
  async require(authority: Authority, projectId: string, minimum: MemberRole): Promise<Project> {
    const project = await this.deps.projects.findById(projectId);
    if (!project) throw ProjectErrors.projectNotFound();
    if (!holds(authority, project.id, minimum)) throw ProjectErrors.insufficientPermissions();
    return project;
  }

  async list(authority: Authority): Promise<Project[]> {
    const all = await this.deps.projects.list();
    return authority.operator || authority.superadmin ? all : all.filter((p) => authority.roles.has(p.id));
  }

  async get(authority: Authority, id: string): Promise<Project> {
    return this.require(authority, id, 'member');
  }

  /** Creates a project with its partitions; the superadmin owns it, and a creating operator joins as admin. */
  async create(authority: Authority, name: unknown, ctx?: AuditContext): Promise<Project> {
    requireOperator(authority);
    const clean = checkName(name);
    const owner = await this.superadmin();
    const now = this.deps.clock.now();
    return this.deps.transaction(async ({ projects, audit }) => {
      if (await projects.findBySlug(slugOf(clean))) throw ProjectErrors.projectExists();
      const project: Project = { id: randomUUID(), num: await projects.nextNum(), name: clean, slug: slugOf(clean), createdAt: now };
      await projects.insert(project);
      if (owner) await projects.addMember({ projectId: project.id, userId: owner.userId, role: 'owner', createdAt: now });
      const actor = authority.actor;
      if (actor.kind === 'user' && actor.userId !== owner?.userId) {
        await projects.addMember({ projectId: project.id, userId: actor.userId, role: 'admin', createdAt: now });
      }
      await record(audit, now, { action: 'project.created', target: { type: 'project', id: project.id }, projectId: project.id, detail: { name: clean, num: project.num } }, ctx);
      return project;
    });
  }

  async rename(authority: Authority, id: string, name: unknown, ctx?: AuditContext): Promise<Project> {
    const project = await this.require(authority, id, 'admin');
    const clean = checkName(name);
    // The default project keeps its slug: it is how the installation finds it.
    const slug = project.slug === DEFAULT_PROJECT_SLUG ? DEFAULT_PROJECT_SLUG : slugOf(clean);
    await this.deps.transaction(async ({ projects, audit }) => {
      const other = await projects.findBySlug(slug);
      if (other && other.id !== id) throw ProjectErrors.projectExists();
      await projects.rename(id, clean, slug);
      await record(audit, this.deps.clock.now(), { action: 'project.renamed', target: { type: 'project', id }, projectId: id, detail: { name: clean } }, ctx);
    });
    return { ...project, name: clean, slug };
  }

  /** Deletes a project with everything in it: its clients (and their grants and tokens), scopes and members. */
  async delete(authority: Authority, id: string, ctx?: AuditContext): Promise<void> {
    requireOperator(authority);
    const project = await this.deps.projects.findById(id);
    if (!project) throw ProjectErrors.projectNotFound();
    if (project.slug === DEFAULT_PROJECT_SLUG) throw ProjectErrors.defaultProject();
    await this.deps.transaction(async ({ projects, audit }) => {
      await projects.delete(project);
      // project_id stays null on the event: the project's own rows are gone, the log outlives them.
      await record(audit, this.deps.clock.now(), { action: 'project.deleted', target: { type: 'project', id }, detail: { name: project.name } }, ctx);
    });
  }

  async members(authority: Authority, projectId: string): Promise<MemberView[]> {
    await this.require(authority, projectId, 'admin');
    const members = await this.deps.projects.members(projectId);
    const out: MemberView[] = [];
    for (const m of members) out.push({ ...m, email: (await this.deps.users.findById(m.userId))?.email ?? '' });
    return out;
  }

  async addMember(authority: Authority, projectId: string, userRef: string, role: unknown, ctx?: AuditContext): Promise<MemberView> {
    await this.require(authority, projectId, 'admin');
    const r = checkRole(role);
    const user = await this.findUser(userRef, () => new NotFound('user not found'));
    if (r === 'owner') await this.requireSuperadmin(user.id);
    const member: ProjectMember = { projectId, userId: user.id, role: r, createdAt: this.deps.clock.now() };
    await this.deps.transaction(async ({ projects, audit }) => {
      if (await projects.findMember(projectId, user.id)) throw ProjectErrors.alreadyMember();
      await projects.addMember(member);
      await record(audit, member.createdAt, { action: 'member.added', target: { type: 'user', id: user.id }, projectId, detail: { role: r } }, ctx);
    });
    return { ...member, email: user.email };
  }

  async setRole(authority: Authority, projectId: string, userId: string, role: unknown, ctx?: AuditContext): Promise<MemberView> {
    await this.require(authority, projectId, 'admin');
    const r = checkRole(role);
    const user = await this.findUser(userId);
    if (r === 'owner') await this.requireSuperadmin(user.id);
    return this.deps.transaction(async ({ projects, audit }) => {
      const current = await projects.findMember(projectId, user.id);
      if (!current) throw ProjectErrors.memberNotFound();
      if (current.role === 'owner' && r !== 'owner') await this.keepAnOwner(projects, projectId);
      await projects.setRole(projectId, user.id, r);
      const detail = { from: current.role, to: r };
      await record(audit, this.deps.clock.now(), { action: 'member.role_changed', target: { type: 'user', id: user.id }, projectId, detail }, ctx);
      return { ...current, role: r, email: user.email };
    });
  }

  /** Removes a membership and, in the same transaction, ends the person's sessions, grants and refresh tokens. */
  async removeMember(authority: Authority, projectId: string, userId: string, ctx?: AuditContext): Promise<void> {
    await this.require(authority, projectId, 'admin');
    const user = await this.findUser(userId);
    await this.deps.transaction(async ({ projects, access, audit }) => {
      const current = await projects.findMember(projectId, user.id);
      if (!current) throw ProjectErrors.memberNotFound();
      if (current.role === 'owner') await this.keepAnOwner(projects, projectId);
      await projects.removeMember(projectId, user.id);
      await access.revokeAll(user.id, this.deps.clock.now());
      await record(audit, this.deps.clock.now(), { action: 'member.removed', target: { type: 'user', id: user.id }, projectId, detail: { role: current.role } }, ctx);
    });
    this.deps.sessionsEnded?.(user.id);
  }

  /** Deletes a user (operators only); the owner of a project (the superadmin) cannot be deleted. */
  async deleteUser(authority: Authority, userId: string, ctx?: AuditContext): Promise<void> {
    requireOperator(authority);
    if ((await this.deps.projects.membershipsOf(userId)).some((m) => m.role === 'owner')) throw ProjectErrors.lastOwner();
    if (!this.deps.deleteAccount) throw new Error('account deletion is not wired');
    await this.deps.deleteAccount(userId, ctx);
  }

  private async keepAnOwner(projects: ProjectStore, projectId: string): Promise<void> {
    const owners = (await projects.members(projectId)).filter((m) => m.role === 'owner');
    if (owners.length <= 1) throw ProjectErrors.lastOwner();
  }

  private async superadmin(): Promise<ProjectMember | undefined> {
    const members = await this.deps.projects.members(await this.defaultProjectId());
    return members.find((m) => m.role === 'owner');
  }

  private async requireSuperadmin(userId: string): Promise<void> {
    const owners = (await this.deps.projects.members(await this.defaultProjectId())).filter((m) => m.role === 'owner');
    if (!owners.some((o) => o.userId === userId)) throw ProjectErrors.ownerReserved();
  }

  /** A user by id or email; a missing one is `not_found` when adding, `member_not_found` otherwise. */
  private async findUser(ref: string, missing: () => Error = ProjectErrors.memberNotFound): Promise<User> {
    const user = ref.includes('@') ? await this.deps.users.findByEmail(ref.toLowerCase()) : await this.deps.users.findById(ref);
    if (!user) throw missing();
    return user;
  }
}
