import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';

export interface DevSecrets {
  sessionSecret: string;
  encryptionKey: string;
}

/** Where the generated development secrets of a SQLite database live: `dev-secrets.json` beside the file. */
export function devSecretsPath(sqliteUrl: string): string {
  const file = sqliteUrl.slice('sqlite:'.length);
  const dir = file === ':memory:' || file === '' ? resolve('data') : dirname(resolve(file));
  return join(dir, 'dev-secrets.json');
}

/**
 * The quick start runs with no secrets configured. For a local SQLite database only, Gatehouse generates them
 * once and keeps them (mode 0600) beside the database, so encrypted keys stay readable across restarts.
 * Production (PostgreSQL) must configure them; load.ts refuses to start otherwise.
 */
export function loadOrCreateDevSecrets(sqliteUrl: string): DevSecrets {
  const path = devSecretsPath(sqliteUrl);
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as DevSecrets;
  mkdirSync(dirname(path), { recursive: true });
  const secrets: DevSecrets = {
    sessionSecret: randomBytes(32).toString('base64url'),
    encryptionKey: randomBytes(32).toString('base64'),
  };
  writeFileSync(path, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return secrets;
}
