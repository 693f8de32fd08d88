import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { groupCommit } from './group-commit.js';

interface Db {
  items: { id: string; n: number };
}

describe('groupCommit (SQLite)', () => {
  let raw: SQLite.Database;
  let db: Kysely<Db>;
  let commits: number;

  beforeEach(async () => {
    raw = new SQLite(':memory:');
    commits = 0;
    // Count real COMMITs to prove units share them.
    const prepare = raw.prepare.bind(raw);
    raw.prepare = ((source: string) => {
      if (/^commit/i.test(source)) commits++;
      return prepare(source);
    }) as typeof raw.prepare;
    db = new Kysely<Db>({ dialect: new SqliteDialect({ database: raw }) });
    await sql`create table items (id text primary key, n integer not null check (n >= 0))`.execute(db);
    commits = 0;
  });

  afterEach(async () => {
    await db.destroy();
  });

  const ids = async () => (await db.selectFrom('items').select('id').orderBy('id').execute()).map((r) => r.id);

  it('commits the units of one event-loop turn together, each with its own result', async () => {
    const run = groupCommit(db);
    const results = await Promise.all(
      ['a', 'b', 'c'].map((id) =>
        run(async (tx) => {
          await tx.insertInto('items').values({ id, n: 1 }).execute();
          return id.toUpperCase();
        }),
      ),
    );
    expect(results).toEqual(['A', 'B', 'C']);
    expect(await ids()).toEqual(['a', 'b', 'c']);
    expect(commits).toBe(1);
  });

  it('under load, units of the following turn join the commit; a lone unit is not held back', async () => {
    const run = groupCommit(db);
    const insert = (id: string) => run((tx) => tx.insertInto('items').values({ id, n: 1 }).execute());
    const next = new Promise<unknown>((resolve) => setImmediate(() => resolve(insert('c'))));
    await Promise.all([insert('a'), insert('b'), next]);
    expect(commits).toBe(1);
    await insert('d');
    expect(commits).toBe(2);
    expect(await ids()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('rolls back only the unit that failed; the others commit and resolve', async () => {
    const run = groupCommit(db);
    const outcomes = await Promise.allSettled([
      run((tx) => tx.insertInto('items').values({ id: 'a', n: 1 }).execute()),
      run(async (tx) => {
        await tx.insertInto('items').values({ id: 'b', n: 1 }).execute();
        throw new Error('refused after a write');
      }),
      run((tx) => tx.insertInto('items').values({ id: 'c', n: -1 }).execute()),
      run((tx) => tx.insertInto('items').values({ id: 'd', n: 1 }).execute()),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect(await ids()).toEqual(['a', 'd']);
  });

  it('sees earlier units of the same batch, like serial transactions (a one-time row is used once)', async () => {
    await db.insertInto('items').values({ id: 'code', n: 1 }).execute();
    const run = groupCommit(db);
    const spend = () =>
      run(async (tx) => {
        const r = await tx.updateTable('items').set({ n: 0 }).where('id', '=', 'code').where('n', '=', 1).executeTakeFirst();
        return Number(r.numUpdatedRows);
      });
    expect(await Promise.all([spend(), spend(), spend()])).toEqual([1, 0, 0]);
  });

  it('answers no unit before the shared commit, and rejects every unit when the commit fails', async () => {
    const run = groupCommit(db);
    // A deferred foreign key violation fails at COMMIT, after every unit ran.
    await sql`create table child (parent text references items (id) deferrable initially deferred)`.execute(db);
    await sql`pragma foreign_keys = on`.execute(db);
    const outcomes = await Promise.allSettled([
      run((tx) => tx.insertInto('items').values({ id: 'x', n: 1 }).execute()),
      run((tx) => sql`insert into child (parent) values ('missing')`.execute(tx)),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(await ids()).toEqual([]);
  });

  it('keeps working after a failed batch, and runs a lone unit in a plain transaction', async () => {
    const run = groupCommit(db);
    await expect(run(async () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    await run((tx) => tx.insertInto('items').values({ id: 'z', n: 1 }).execute());
    expect(await ids()).toEqual(['z']);
  });
});
