/** OpenAPI documentation of the admin API (/admin/api/v1): a bearer access token with the admin scope. */
import { Type, type TSchema } from '@sinclair/typebox';
import { apiErrors, JSON_TYPE, NoContent } from './common.js';
import { documented } from './documented.js';

const open = (description: string, properties: Record<string, TSchema>) => Type.Object(properties, { description, additionalProperties: true });
const s = Type.String();
const n = Type.Integer();

const Client = open('client metadata (RFC 7591 names) with its project', { client_id: s, client_name: s, project_id: s, redirect_uris: Type.Array(s) });
const Project = open('project', { id: s, num: n, name: s, slug: s, created_at: n });
const Member = open('project member', { project_id: s, user_id: s, email: s, role: s, created_at: n });
const Scope = open('custom scope', { name: s, description: s, operator_only: Type.Boolean(), builtin: Type.Boolean() });
const User = open('account (standard claims besides)', { id: s, email: s, email_verified: Type.Boolean(), disabled: Type.Boolean(), created_at: n, updated_at: n });
const AuditEvent = open('audit event', { id: s, at: n, time: s, action: s, outcome: s });
const Body = (description: string) => open(description, {});

interface Operation {
  summary: string;
  tag: string;
  params?: string[];
  querystring?: TSchema;
  body?: TSchema;
  ok: [number, TSchema];
}

function admin(op: Operation) {
  return documented({
    summary: op.summary,
    tags: [`Admin: ${op.tag}`],
    security: [{ adminToken: [] }],
    ...(op.params ? { params: Type.Object(Object.fromEntries(op.params.map((p) => [p, s]))) } : {}),
    ...(op.querystring ? { querystring: op.querystring } : {}),
    ...(op.body ? { consumes: [JSON_TYPE], body: op.body } : {}),
    response: { [op.ok[0]]: op.ok[1], ...apiErrors(401, 403, 404) },
  });
}

const list = (key: string, item: TSchema) => Type.Object({ [key]: Type.Array(item) });
const P = ['projectId'];

export const adminClientSchemas = {
  list: admin({ summary: 'List clients', tag: 'clients', querystring: Type.Object({ project_id: Type.Optional(s) }), ok: [200, list('clients', Client)] }),
  create: admin({ summary: 'Create a client', tag: 'clients', body: Body('client metadata and project_id'), ok: [201, Client] }),
  get: admin({ summary: 'Read a client', tag: 'clients', params: ['clientId'], ok: [200, Client] }),
  update: admin({ summary: 'Replace a client’s metadata', tag: 'clients', params: ['clientId'], body: Body('client metadata'), ok: [200, Client] }),
  delete: admin({ summary: 'Delete a client', tag: 'clients', params: ['clientId'], ok: [204, NoContent] }),
  rotate: admin({
    summary: 'Rotate a client secret',
    tag: 'clients',
    params: ['clientId'],
    body: open('grace: how long the previous secret stays valid (0, 3600, 24h)', { grace: Type.Union([s, n]) }),
    ok: [200, Type.Object({ client_id: s, client_secret: s, previous_secret_valid_until: Type.Union([n, Type.Null()]) })],
  }),
};

export const adminProjectSchemas = {
  list: admin({ summary: 'List projects', tag: 'projects', ok: [200, list('projects', Project)] }),
  create: admin({ summary: 'Create a project', tag: 'projects', body: open('project', { name: s }), ok: [201, Project] }),
  get: admin({ summary: 'Read a project', tag: 'projects', params: P, ok: [200, Project] }),
  rename: admin({ summary: 'Rename a project', tag: 'projects', params: P, body: open('project', { name: s }), ok: [200, Project] }),
  delete: admin({ summary: 'Delete a project', tag: 'projects', params: P, ok: [204, NoContent] }),
  members: admin({ summary: 'List members', tag: 'projects', params: P, ok: [200, list('members', Member)] }),
  addMember: admin({ summary: 'Add a member', tag: 'projects', params: P, body: open('user_id or email, and role', { user_id: s, email: s, role: s }), ok: [201, Member] }),
  setRole: admin({ summary: 'Change a member’s role', tag: 'projects', params: ['projectId', 'userId'], body: open('role', { role: s }), ok: [200, Member] }),
  removeMember: admin({ summary: 'Remove a member', tag: 'projects', params: ['projectId', 'userId'], ok: [204, NoContent] }),
  scopes: admin({ summary: 'List scopes', tag: 'projects', params: P, ok: [200, list('scopes', Scope)] }),
  addScope: admin({ summary: 'Create a scope', tag: 'projects', params: P, body: open('scope', { name: s, description: s }), ok: [201, Scope] }),
  deleteScope: admin({ summary: 'Delete a scope', tag: 'projects', params: ['projectId', 'name'], ok: [204, NoContent] }),
};

const UserInput = open('account fields; standard claims (OIDC Core §5.1) too: a value sets, null clears', {
  email: s,
  password: s,
  given_name: s,
  family_name: s,
  email_verified: Type.Boolean(),
});

export const adminUserSchemas = {
  list: admin({ summary: 'List users', tag: 'users', ok: [200, list('users', User)] }),
  create: admin({ summary: 'Create a user', tag: 'users', body: UserInput, ok: [201, User] }),
  get: admin({ summary: 'Read a user', tag: 'users', params: ['userId'], ok: [200, User] }),
  update: admin({ summary: 'Update a user', tag: 'users', params: ['userId'], body: open(UserInput.description!, { ...UserInput.properties, disabled: Type.Boolean() }), ok: [200, User] }),
  delete: admin({ summary: 'Delete a user', tag: 'users', params: ['userId'], ok: [204, NoContent] }),
  consents: admin({
    summary: 'List a user’s consents',
    tag: 'users',
    params: ['userId'],
    ok: [200, list('consents', Type.Object({ client_id: s, scope: s, created_at: n, updated_at: n }))],
  }),
  revokeConsent: admin({ summary: 'Revoke a consent', tag: 'users', params: ['userId', 'clientId'], ok: [204, NoContent] }),
};

export const adminAuditSchema = admin({
  summary: 'Read the audit log',
  tag: 'audit',
  ok: [200, Type.Object({ events: Type.Array(AuditEvent), next_cursor: Type.Union([s, Type.Null()]) })],
});
