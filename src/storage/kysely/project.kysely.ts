import type { Selectable } from 'kysely';
import type { Project, ProjectMember, ProjectStore } from '../../projects/project.store.js';
import { createProjectPartitions, dropProjectPartitions } from '../dialects/partitions.js';
import type { ProjectMembersTable, ProjectsTable } from '../schema.js';
import { inTransaction, type Executor } from '../stores.js';

const toProject = (r: Selectable<ProjectsTable>): Project => ({ id: r.id, num: r.num, name: r.name, slug: r.slug, createdAt: r.created_at });
const toMember = (r: Selectable<ProjectMembersTable>): ProjectMember => ({
  projectId: r.project_id,
  userId: r.user_id,
  role: r.role,
  createdAt: r.created_at,
});

export function kyselyProjectStore(db: Executor): ProjectStore {
  return {
    async findById(id) {
      const r = await db.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirst();
      return r && toProject(r);
    },
    async findBySlug(slug) {
      const r = await db.selectFrom('projects').selectAll().where('slug', '=', slug).executeTakeFirst();
      return r && toProject(r);
    },
    async list() {
      return (await db.selectFrom('projects').selectAll().orderBy('num').execute()).map(toProject);
    },
    async nextNum() {
      const r = await db.selectFrom('projects').select((eb) => eb.fn.max('num').as('n')).executeTakeFirst();
      return Number(r?.n ?? 0) + 1;
    },
    async insert(p) {
      await inTransaction(db, async (tx) => {
        await tx.insertInto('projects').values({ id: p.id, num: p.num, name: p.name, slug: p.slug, created_at: p.createdAt }).execute();
        await createProjectPartitions(tx, p.id, p.num);
      });
    },
    async rename(id, name, slug) {
      await db.updateTable('projects').set({ name, slug }).where('id', '=', id).execute();
    },
    async delete(p) {
      await inTransaction(db, async (tx) => {
        // Rows first (client_directory cascades to the clients, their scopes, secrets, grants and consents),
        // then the emptied partitions.
        await tx.deleteFrom('oauth_clients').where('project_id', '=', p.id).execute();
        await tx.deleteFrom('client_directory').where('project_id', '=', p.id).execute();
        await tx.deleteFrom('projects').where('id', '=', p.id).execute();
        await dropProjectPartitions(tx, p.num);
      });
    },
    async findMember(projectId, userId) {
      const r = await db
        .selectFrom('project_members')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return r && toMember(r);
    },
    async addMember(m) {
      await db
        .insertInto('project_members')
        .values({ project_id: m.projectId, user_id: m.userId, role: m.role, created_at: m.createdAt })
        .execute();
    },
    async setRole(projectId, userId, role) {
      const r = await db.updateTable('project_members').set({ role }).where('project_id', '=', projectId).where('user_id', '=', userId).executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    async removeMember(projectId, userId) {
      const r = await db.deleteFrom('project_members').where('project_id', '=', projectId).where('user_id', '=', userId).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
    async members(projectId) {
      const rows = await db.selectFrom('project_members').selectAll().where('project_id', '=', projectId).orderBy('created_at').execute();
      return rows.map(toMember);
    },
    async membershipsOf(userId) {
      return (await db.selectFrom('project_members').selectAll().where('user_id', '=', userId).execute()).map(toMember);
    },
    async count() {
      const r = await db.selectFrom('projects').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(r.n);
    },
  };
}
