import pg from 'pg';

export const PG_URL = process.env['PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

export async function postgresStatus(): Promise<{ available: boolean; url: string; reason?: string }> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return { available: true, url: PG_URL };
  } catch (err) {
    return { available: false, url: PG_URL, reason: (err as Error).message };
  } finally {
    await client.end().catch(() => undefined);
  }
}

let cached: boolean | undefined;
export async function postgresAvailable(): Promise<boolean> {
  cached ??= (await postgresStatus()).available;
  return cached;
}

export function uniqueSchema(prefix = 'gh'): string {
  return `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}
