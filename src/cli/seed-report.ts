/** What a seed run generated, shown once: shared by `migrate`, `serve` and the embedding entry (src/index.ts). */
import { closeSync, fchmodSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Container } from '../app.js';
import { isSqliteUrl } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { SeedResult } from '../seed/seeder.js';

/** Where generated secrets go when stdout is not a terminal: beside the SQLite database, else beside the config. */
export function initialSecretsPath(config: Config): string {
  const file = isSqliteUrl(config.database.url) ? config.database.url.slice('sqlite:'.length) : '';
  const dir = file && file !== ':memory:' ? dirname(resolve(file)) : dirname(config.source);
  return join(dir, 'initial-secrets.txt');
}

/**
 * Shows what a seed run generated, once. On a terminal the secrets are printed; otherwise stdout is a log
 * (systemd, docker, CI) that many can read and that is kept, so they are appended to a 0600 file and only its
 * path is printed.
 */
export function reportSeed(result: SeedResult, config: Config): void {
  const lines: string[] = [];
  if (result.generatedAdminPassword) lines.push(`superadmin ${result.adminEmail} password (shown once): ${result.generatedAdminPassword}`);
  if (result.demoClient?.clientSecret) lines.push(`demo client ${result.demoClient.clientId} secret (shown once): ${result.demoClient.clientSecret}`);
  if (lines.length === 0) return;
  if (process.stdout.isTTY) {
    process.stdout.write(lines.map((l) => `${l}\n`).join(''));
    return;
  }
  const path = initialSecretsPath(config);
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'a', 0o600);
  try {
    fchmodSync(fd, 0o600); // an existing file keeps its mode on open; this one must not be readable by others
    writeSync(fd, `# ${new Date().toISOString()}\n${lines.map((l) => `${l}\n`).join('')}`);
  } finally {
    closeSync(fd);
  }
  process.stdout.write(`seed: generated secrets written to ${path} (mode 0600; stdout is not a terminal)\n`);
}

export async function runSeed(c: Container): Promise<SeedResult> {
  const result = await c.seed((m) => process.stdout.write(`seed: ${m}\n`));
  reportSeed(result, c.config);
  return result;
}
