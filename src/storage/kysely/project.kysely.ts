import type { ProjectStore } from '../../projects/project.store.js';
import type { Executor } from '../stores.js';

export function kyselyProjectStore(db: Executor): ProjectStore {
  return {
    async findBySlug(slug) {
      const r = await db.selectFrom('projects').selectAll().where('slug', '=', slug).executeTakeFirst();
      return r && { id: r.id, name: r.name, slug: r.slug, createdAt: r.created_at };
    },
    async insert(p) {
      await db.insertInto('projects').values({ id: p.id, name: p.name, slug: p.slug, created_at: p.createdAt }).execute();
    },
    async findMember(projectId, userId) {
      const r = await db
        .selectFrom('project_members')
        .selectAll()
        .where('project_id', '=', projectId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return r && { projectId: r.project_id, userId: r.user_id, role: r.role, createdAt: r.created_at };
    },
    async addMember(m) {
      await db
        .insertInto('project_members')
        .values({ project_id: m.projectId, user_id: m.userId, role: m.role, created_at: m.createdAt })
        .execute();
    },
    async members(projectId) {
      const rows = await db.selectFrom('project_members').selectAll().where('project_id', '=', projectId).execute();
      return rows.map((r) => ({ projectId: r.project_id, userId: r.user_id, role: r.role, createdAt: r.created_at }));
    },
    async count() {
      const r = await db.selectFrom('projects').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(r.n);
    },
  };
}
