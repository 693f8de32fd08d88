/** The wire shapes of projects, members and scopes, shared by the admin API and the CLI's --json output. */
import type { ScopeDefinition } from '../scopes/scope.store.js';
import type { MemberView } from './project.service.js';
import type { Project } from './project.store.js';

export const projectView = (p: Project) => ({ id: p.id, num: p.num, name: p.name, slug: p.slug, created_at: p.createdAt });

export const memberView = (m: MemberView) => ({ project_id: m.projectId, user_id: m.userId, email: m.email, role: m.role, created_at: m.createdAt });

export const scopeView = (s: ScopeDefinition) => ({
  name: s.name,
  description: s.description,
  operator_only: s.operatorOnly,
  builtin: s.projectId === null,
});
