import type { Selectable } from 'kysely';
import type { ProviderStore, UpstreamProvider } from '../../upstream/provider.store.js';
import type { UpstreamProvidersTable } from '../schema.js';
import type { Executor } from '../stores.js';

const toProvider = (r: Selectable<UpstreamProvidersTable>): UpstreamProvider => ({
  id: r.id,
  clientId: r.client_id,
  clientSecretEnc: r.client_secret_enc,
  redirectUrl: r.redirect_url,
  scopes: JSON.parse(r.scopes) as string[],
  enabled: r.enabled === 1,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export function kyselyProviderStore(db: Executor): ProviderStore {
  return {
    async find(id) {
      const r = await db.selectFrom('upstream_providers').selectAll().where('id', '=', id).executeTakeFirst();
      return r && toProvider(r);
    },
    async insert(p) {
      await db
        .insertInto('upstream_providers')
        .values({
          id: p.id,
          client_id: p.clientId,
          client_secret_enc: p.clientSecretEnc,
          redirect_url: p.redirectUrl,
          scopes: JSON.stringify(p.scopes),
          enabled: p.enabled ? 1 : 0,
          created_at: p.createdAt,
          updated_at: p.updatedAt,
        })
        .execute();
    },
    async list() {
      return (await db.selectFrom('upstream_providers').selectAll().orderBy('id').execute()).map(toProvider);
    },
  };
}
