/**
 * Issue 10 item 13: `gatehouse keys rotate` never promotes a key that relying parties may not have fetched yet
 * (published for less than the JWKS max-age plus the key refresh interval) unless forced, and a retired key
 * stays published for the longest token lifetime in use (per-client overrides included) plus that margin.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeployment, DIALECTS, type Deployment } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';

const pgUp = await postgresAvailable();
const REFRESH = 2;

interface KeyRow {
  kid: string;
  alg: string;
  state: string;
  created_at: number;
  retired_at: number | null;
  published_until: number | null;
}

describe.each(DIALECTS)('key rotation safety through the CLI (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pgUp;
  let dep: Deployment;
  beforeAll(async () => {
    if (skip) return;
    dep = await createDeployment(dialect, { security: { keyRefreshInterval: REFRESH } });
  }, 60_000);
  afterAll(async () => dep?.cleanup());

  const keys = async (): Promise<KeyRow[]> => {
    const r = await dep.cli(['keys', 'list', '--json']);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as KeyRow[];
  };
  /** Backdates every next key, as if it had been published `seconds` ago (time cannot be frozen in a CLI). */
  const ageNextKeys = async (seconds: number) => {
    const config = parse(readFileSync(dep.configPath, 'utf8')) as { database: { url: string; schema?: string } };
    const sqlText = 'update signing_keys set created_at = created_at - $1 where state = $2';
    if (dialect === 'sqlite') {
      const db = new SQLite(config.database.url.slice('sqlite:'.length));
      db.prepare(sqlText.replace('$1', '?').replace('$2', '?')).run(seconds, 'next');
      db.close();
    } else {
      const client = new pg.Client({ connectionString: config.database.url, options: `-c search_path=${config.database.schema}` });
      await client.connect();
      await client.query(sqlText, [seconds, 'next']);
      await client.end();
    }
  };

  it.skipIf(skip)('a freshly published next key is not promoted: one clear line, exit ≠ 0, nothing changed', async () => {
    // The first CLI run creates the keys (active + next, as `serve` would) and then must refuse to rotate.
    expect((await dep.cli(['keys', 'rotate'])).code).not.toBe(0);
    const before = await keys();
    // Issue 14: an active and a next key for every supported alg.
    expect(before.map((k) => `${k.alg} ${k.state}`).sort()).toEqual(
      ['EdDSA', 'ES256', 'ES384', 'PS256', 'RS256'].flatMap((alg) => [`${alg} active`, `${alg} next`]).sort(),
    );
    const r = await dep.cli(['keys', 'rotate']);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^gatehouse: RS256: the next key \S+ was published \d+s ago; .*JWKS cached 300s, keys re-read every 2s\): wait \d+s, or pass --force$/);
    expect(await keys()).toEqual(before);
  });

  it.skipIf(skip)('once published for the JWKS lifetime it is promoted; a second rotation right after is refused', async () => {
    await ageNextKeys(300 + REFRESH);
    const next = (await keys()).find((k) => k.state === 'next' && k.alg === 'RS256')!;
    const r = await dep.cli(['keys', 'rotate', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as Array<{ alg: string; active: string }>).find((x) => x.alg === 'RS256')!.active).toBe(next.kid);
    const again = await dep.cli(['keys', 'rotate']);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('pass --force');
    // The retired key stays published for max(access, ID token lifetime) + 1 h at least (3600 s defaults here).
    const retired = (await keys()).find((k) => k.state === 'retired')!;
    expect(retired.published_until! - retired.retired_at!).toBeGreaterThanOrEqual(3600 + 300 + REFRESH);
  });

  it.skipIf(skip)('--force overrides the wait; a client with long-lived ID tokens keeps the retired key published longer', async () => {
    const metadata = join(dep.dir, 'long-id-tokens.json');
    writeFileSync(metadata, JSON.stringify({ redirect_uris: ['https://app.example.com/cb'], grant_types: ['authorization_code'], scope: 'openid', id_token_ttl: 172_800 }));
    const created = await dep.cli(['clients', 'create', '--metadata', metadata, '--json']);
    expect(created.code, created.stderr).toBe(0);
    const active = (await keys()).find((k) => k.state === 'active')!;
    const r = await dep.cli(['keys', 'rotate', '--force', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const retired = (await keys()).find((k) => k.kid === active.kid)!;
    expect(retired.state).toBe('retired');
    expect(retired.published_until! - retired.retired_at!).toBe(172_800 + REFRESH + 300);
  });
});
