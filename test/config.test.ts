import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config/load.js';
import { runCli } from './helpers/server.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-config-'));
const SESSION = randomBytes(32).toString('hex');
const KEY = randomBytes(32).toString('base64');

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const good = (extra = '') => `
database:
  url: sqlite:${join(dir, 'db.sqlite')}
auth:
  sessionSecret: ${SESSION}
security:
  encryptionKey: ${KEY}
${extra}`;

describe('configuration', () => {
  it('substitutes ${VAR} and ${VAR:-default} anywhere', () => {
    const path = file('env.yaml', good().replace(SESSION, '${MY_SESSION}') + '\nserver:\n  port: ${MY_PORT:-9100}\n  issuer: ${MY_ISSUER:-http://localhost:9100}\n');
    const config = loadConfig({ path, env: { MY_SESSION: SESSION } });
    expect(config.auth.sessionSecret).toBe(SESSION);
    expect(config.server.port).toBe(9100);
    expect(config.server.issuer).toBe('http://localhost:9100');
    expect(config.auth.codeExpiry).toBe(60);
    expect(config.auth.refreshTokenExpiry).toBe(30 * 86400);
    expect(Object.isFrozen(config.server)).toBe(true);
  });

  it('names the key path and never the secret', () => {
    const path = file('short.yaml', good().replace(SESSION, 'too-short-secret-value'));
    expect(() => loadConfig({ path, env: {} })).toThrow(new ConfigError('auth.sessionSecret: must be at least 32 characters'));
    try {
      loadConfig({ path, env: {} });
    } catch (err) {
      expect((err as Error).message).not.toContain('too-short-secret-value');
    }
    expect(() => loadConfig({ path: file('unset.yaml', good().replace(SESSION, '${NOPE_NOT_SET}')), env: {} })).toThrow(
      'auth.sessionSecret: environment variable NOPE_NOT_SET is not set',
    );
    expect(() => loadConfig({ path: file('code.yaml', good().replace('auth:\n', 'auth:\n  codeExpiry: 601\n')), env: {} })).toThrow(
      'auth.codeExpiry: must be at most 600 seconds',
    );
    expect(() => loadConfig({ path: file('typo.yaml', good('serverr:\n  port: 1')), env: {} })).toThrow(/serverr/);
  });

  const cases: Array<[string, string[], RegExp]> = [
    ['missing file', ['--config', join(dir, 'absent.yaml')], /config file not found/],
    ['malformed YAML', ['--config', file('bad.yaml', 'server: [unclosed\n  port: 1')], /malformed YAML/],
    ['short sessionSecret', ['--config', file('s.yaml', good().replace(SESSION, 'short'))], /^gatehouse: auth\.sessionSecret: must be at least 32 characters$/],
    ['bad encryptionKey', ['--config', file('k.yaml', good().replace(KEY, 'bm90LTMyLWJ5dGVz'))], /^gatehouse: security\.encryptionKey: must be base64 of 32 bytes$/],
    ['unknown database scheme', ['--config', file('u.yaml', good().replace(/url: .*/, 'url: mysql://x'))], /database\.url: unknown scheme/],
    ['unreachable PostgreSQL', ['--config', file('p.yaml', good().replace(/url: .*/, 'url: postgres://postgres@127.0.0.1:1/test'))], /database\.url: cannot connect/],
    ['bad port type', ['--config', file('t.yaml', good('server:\n  port: nine'))], /^gatehouse: server\.port: /],
  ];
  it.each(cases)('%s: one clear line, exit code not 0', async (_name, args, pattern) => {
    const r = await runCli(['migrate', ...args]);
    expect(r.code).not.toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines.length).toBe(1);
    expect(lines[0]).toMatch(pattern);
    expect(r.stdout).toBe('');
  });
});
