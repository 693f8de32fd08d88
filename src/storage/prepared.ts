import { CompiledQuery, type Compilable } from 'kysely';
import type { Executor } from './stores.js';

type Build<R> = (db: Executor) => Compilable<R>;

/** SQL text per dialect (adapter class) and builder: compiled once per process, not per store or transaction. */
const compiled = new Map<unknown, Map<Build<unknown>, string>>();

/** A row of nulls for `columns`: the shape of an INSERT whose values are passed as parameters, in that order. */
export function placeholderRow(columns: readonly string[]): never {
  return Object.fromEntries(columns.map((c) => [c, null])) as never;
}

/**
 * A hot-path query compiled once: building a Kysely query costs more than running an indexed lookup, so the
 * token endpoint's queries are built once per dialect and run with fresh parameters. `build` must be a
 * module-level function (its identity is the cache key) whose placeholder values are listed in the order the
 * caller passes parameters.
 */
export function prepared<R>(db: Executor, build: Build<R>): (...params: unknown[]) => Promise<R[]> {
  const dialect = db.getExecutor().adapter.constructor;
  let byBuild = compiled.get(dialect);
  if (!byBuild) compiled.set(dialect, (byBuild = new Map()));
  let sql = byBuild.get(build as Build<unknown>);
  if (sql === undefined) {
    sql = build(db).compile().sql;
    byBuild.set(build as Build<unknown>, sql);
  }
  const text = sql;
  return async (...params) => (await db.executeQuery<R>(CompiledQuery.raw(text, params))).rows;
}
