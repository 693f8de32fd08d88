import { Migrator, type Migration, type MigrationResultSet } from 'kysely';
import { schemaOf, type Db } from './db.js';
import * as m0001 from './migrations/0001-init.js';
import * as m0002 from './migrations/0002-lighter-sign-in.js';
import * as m0003 from './migrations/0003-projects-and-scopes.js';
import * as m0004 from './migrations/0004-audit-events.js';
import * as m0005 from './migrations/0005-session-clients.js';
import * as m0006 from './migrations/0006-signed-responses.js';
import * as m0007 from './migrations/0007-standard-claims.js';
import * as m0008 from './migrations/0008-client-registration-metadata.js';
import * as m0009 from './migrations/0009-opaque-access-tokens.js';
import * as m0010 from './migrations/0010-pushed-authorization-requests.js';
import * as m0011 from './migrations/0011-dpop.js';
import * as m0012 from './migrations/0012-mtls-client-auth.js';
import * as m0016 from './migrations/0016-fapi-profile.js';
import * as m0017 from './migrations/0017-device-authorizations.js';

/** Every migration, in order. Names sort lexically; a new migration is one new line here. */
const MIGRATIONS: Record<string, Migration> = {
  '0001-init': m0001,
  '0002-lighter-sign-in': m0002,
  '0003-projects-and-scopes': m0003,
  '0004-audit-events': m0004,
  '0005-session-clients': m0005,
  '0006-signed-responses': m0006,
  '0007-standard-claims': m0007,
  '0008-client-registration-metadata': m0008,
  '0009-opaque-access-tokens': m0009,
  '0010-pushed-authorization-requests': m0010,
  '0011-dpop': m0011,
  '0012-mtls-client-auth': m0012,
  '0016-fapi-profile': m0016,
  // 0013–0015 were never released (numbers given to work that did not land); 0017 follows 0016 so that a
  // database migrated to 0016 takes it (Kysely refuses a migration ordered before one already applied).
  '0017-device-authorizations': m0017,
};

function migrator(db: Db): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async () => MIGRATIONS },
    migrationTableName: 'gatehouse_migrations',
    migrationLockTableName: 'gatehouse_migrations_lock',
    // Kysely looks for its tables across every schema unless told which one is ours.
    ...(schemaOf(db) ? { migrationTableSchema: schemaOf(db) } : {}),
  });
}

function unwrap(result: MigrationResultSet): string[] {
  if (result.error) throw result.error instanceof Error ? result.error : new Error(String(result.error));
  return (result.results ?? []).map((r) => `${r.direction === 'Up' ? 'applied' : 'reverted'} ${r.migrationName}`);
}

export async function migrateUp(db: Db): Promise<string[]> {
  return unwrap(await migrator(db).migrateToLatest());
}

/** Reverts the most recent migration. */
export async function migrateDown(db: Db): Promise<string[]> {
  return unwrap(await migrator(db).migrateDown());
}

/** True when every known migration has been applied. */
export async function isMigrated(db: Db): Promise<boolean> {
  const all = await migrator(db).getMigrations();
  return all.every((m) => m.executedAt !== undefined);
}
