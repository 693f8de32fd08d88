import { readFileSync } from 'node:fs';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { parse } from 'yaml';
import type { Deployment } from './server.js';

/**
 * Runs one SQL statement straight on a deployment's database (SQLite file or PostgreSQL schema), for a test's
 * setup or to read what the server stored. `?` placeholders, numbered for PostgreSQL.
 */
export async function queryDeployment(dep: Deployment, text: string, params: unknown[] = []): Promise<Array<Record<string, unknown>>> {
  const config = parse(readFileSync(dep.configPath, 'utf8')) as { database: { url: string; schema?: string } };
  if (dep.dialect === 'sqlite') {
    const db = new SQLite(config.database.url.slice('sqlite:'.length));
    try {
      const statement = db.prepare(text);
      return statement.reader ? (statement.all(...params) as Array<Record<string, unknown>>) : (statement.run(...params), []);
    } finally {
      db.close();
    }
  }
  let n = 0;
  const client = new pg.Client({ connectionString: config.database.url, options: `-c search_path=${config.database.schema}` });
  await client.connect();
  try {
    return (await client.query(text.replace(/\?/g, () => `$${++n}`), params)).rows as Array<Record<string, unknown>>;
  } finally {
    await client.end();
  }
}
