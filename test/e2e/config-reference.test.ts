/**
 * Issue 13: docs/CONFIG.md is what `gatehouse config reference` prints from the schema, and every setting in it
 * says what it does.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('docs/CONFIG.md', () => {
  it('is exactly the generated reference (regenerate: ./bin/gatehouse config reference > docs/CONFIG.md)', () => {
    const r = spawnSync(process.execPath, ['bin/gatehouse', 'config', 'reference'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync('docs/CONFIG.md', 'utf8')).toBe(r.stdout);
  });

  it('documents every setting with a type and a description', () => {
    const rows = readFileSync('docs/CONFIG.md', 'utf8').split('\n').filter((l) => l.startsWith('| `'));
    expect(rows.length).toBeGreaterThan(80);
    for (const row of rows) {
      const cells = row.split(/(?<!\\)\|/).map((c) => c.trim());
      expect(cells[2], row).not.toBe('');
      expect(cells[4], row).not.toBe('');
    }
    for (const key of ['server.issuer', 'server.metrics.bearerToken', 'auth.clientAuthRateLimit.perClientAndIp', 'redis.url', 'security.encryptionKey']) {
      expect(rows.some((r) => r.startsWith(`| \`${key}\``)), key).toBe(true);
    }
  });
});
