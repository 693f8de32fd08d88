import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { SqliteDialect, type Dialect } from 'kysely';

/** `sqlite:./data/gatehouse.db` or `sqlite::memory:`. WAL, foreign keys and a busy timeout, always. */
export function sqliteDialect(url: string): Dialect {
  const file = url.slice('sqlite:'.length);
  const memory = file === ':memory:';
  if (!memory) mkdirSync(dirname(resolve(file)), { recursive: true });
  return new SqliteDialect({
    database: async () => {
      const db = new SQLite(memory ? ':memory:' : resolve(file));
      db.pragma('journal_mode = WAL');
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
      // WAL + NORMAL is durable against process crashes (kill -9); only an OS crash can lose the last commits.
      db.pragma('synchronous = NORMAL');
      // Checkpoint (and fsync) every ~40 MB of WAL rather than every 4 MB: on a write-heavy token endpoint the
      // default checkpoints several times a second on the event loop.
      db.pragma('wal_autocheckpoint = 10000');
      cachePreparedStatements(db);
      return db;
    },
  });
}

const STATEMENT_CACHE = 1000;

/**
 * Kysely's SQLite driver prepares every query anew; preparing costs more than running a point lookup. The
 * statement text is the cache key, so only identical SQL shares a statement. Safe because the driver runs one
 * query at a time on the single connection and never leaves a statement mid-iteration between queries.
 */
function cachePreparedStatements(db: SQLite.Database): void {
  const prepare = db.prepare.bind(db);
  const cache = new Map<string, SQLite.Statement>();
  db.prepare = ((source: string) => {
    let stmt = cache.get(source);
    if (!stmt) {
      stmt = prepare(source);
      if (cache.size >= STATEMENT_CACHE) cache.clear();
      cache.set(source, stmt);
    }
    return stmt;
  }) as typeof db.prepare;
}
