import type { Selectable } from 'kysely';
import type { ScopeDefinition, ScopeStore } from '../../scopes/scope.store.js';
import type { ScopesTable } from '../schema.js';
import type { Executor } from '../stores.js';

const toScope = (r: Selectable<ScopesTable>): ScopeDefinition => ({
  id: r.id,
  projectId: r.project_id,
  name: r.name,
  description: r.description,
  operatorOnly: r.operator_only === 1,
  createdAt: r.created_at,
});

export function kyselyScopeStore(db: Executor): ScopeStore {
  return {
    async visibleTo(projectId) {
      const rows = await db
        .selectFrom('scopes')
        .selectAll()
        .where((eb) => eb.or([eb('project_id', 'is', null), eb('project_id', '=', projectId)]))
        .orderBy('created_at')
        .orderBy('name')
        .execute();
      return rows.map(toScope);
    },
    async find(projectId, name) {
      const r = await db
        .selectFrom('scopes')
        .selectAll()
        .where('name', '=', name)
        .where((eb) => eb.or([eb('project_id', 'is', null), eb('project_id', '=', projectId)]))
        .executeTakeFirst();
      return r && toScope(r);
    },
    async insert(s) {
      await db
        .insertInto('scopes')
        .values({ id: s.id, project_id: s.projectId, name: s.name, description: s.description, operator_only: s.operatorOnly ? 1 : 0, created_at: s.createdAt })
        .execute();
    },
    async delete(projectId, name) {
      const r = await db.deleteFrom('scopes').where('project_id', '=', projectId).where('name', '=', name).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
    async holders(projectId, name) {
      const rows = await db
        .selectFrom('oauth_client_scopes')
        .select('client_id')
        .where('project_id', '=', projectId)
        .where('scope', '=', name)
        .execute();
      return rows.map((r) => r.client_id);
    },
  };
}
