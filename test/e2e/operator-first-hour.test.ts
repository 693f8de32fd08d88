/**
 * Issue 13, "what a new operator hit": each friction line, tried through the built CLI and `gatehouse serve` as a
 * new operator would — from another directory, with a second terminal's environment, with a database that does
 * not exist yet, with secrets that were not kept. Every error is one line that names the setting or file and the
 * next step, with a non-zero exit code.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { freePort, type CliResult } from '../helpers/server.js';
import { PG_URL, postgresAvailable } from '../helpers/postgres.js';
import { rememberSecret } from '../helpers/log-scan.js';

const BIN = resolve('bin/gatehouse');
const pgUp = await postgresAvailable();
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'gatehouse-first-hour-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The CLI run from `cwd` with only the given variables on top of a clean environment (no GATEHOUSE_*, no DATABASE_URL). */
function gatehouse(args: string[], cwd: string, env: Record<string, string> = {}): Promise<CliResult> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_') && k !== 'DATABASE_URL'));
  return new Promise((res) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => res({ code: code ?? -1, stdout, stderr }));
  });
}

/** `gatehouse serve` until it is READY; returns its stop function. */
async function serveUntilReady(args: string[], cwd: string, env: Record<string, string> = {}): Promise<() => Promise<void>> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_') && k !== 'DATABASE_URL'));
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { cwd, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const closed = new Promise((r) => child.on('close', r));
  await new Promise<void>((res, rej) => {
    let out = '';
    const t = setTimeout(() => rej(new Error(out)), 30_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('READY ')) {
        clearTimeout(t);
        res();
      }
    });
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', () => rej(new Error(out)));
  });
  return async () => {
    child.kill('SIGTERM');
    await closed;
  };
}

const oneLine = (r: CliResult) => {
  expect(r.code).not.toBe(0);
  expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
  return r.stderr.trim();
};

describe('the first hour of a new operator', () => {
  it('--version prints the package version', async () => {
    const r = await gatehouse(['--version'], tempDir());
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(`gatehouse ${(JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version}`);
  });

  it('a command run from another directory creates nothing there and says which database it looked for', async () => {
    const elsewhere = tempDir();
    const r = await gatehouse(['clients', 'list'], elsewhere);
    const line = oneLine(r);
    expect(line).toContain(`there is no database at ${join(elsewhere, 'data', 'gatehouse.db')}`);
    expect(line).toContain(`no config file at ${join(elsewhere, 'config.yaml')}`);
    expect(line).toContain('run `gatehouse migrate`');
    expect(line).toContain('--config');
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it('relative paths in a config resolve against its directory; serve --port N advertises port N when no issuer is set', async () => {
    const deployment = tempDir();
    const password = `pw-${randomBytes(8).toString('hex')}`;
    rememberSecret(password);
    writeFileSync(join(deployment, 'config.yaml'), stringify({ database: { url: 'sqlite:./state/gatehouse.db' }, seeder: { superadmin: { password }, demoClient: { enabled: false } } }));
    const elsewhere = tempDir();
    const config = join(deployment, 'config.yaml');
    const migrated = await gatehouse(['migrate', '--config', config], elsewhere);
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(existsSync(join(deployment, 'state', 'gatehouse.db'))).toBe(true);
    expect(readdirSync(elsewhere)).toEqual([]);
    // A second terminal in yet another directory finds the same database through the same config.
    const listed = await gatehouse(['clients', 'list', '--json', '--config', config], tempDir());
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toHaveLength(1); // the seeded dashboard client

    const port = await freePort();
    const stop = await serveUntilReady(['--config', config, '--port', String(port)], elsewhere);
    try {
      const discovery = (await (await fetch(`http://127.0.0.1:${port}/.well-known/openid-configuration`)).json()) as Record<string, string>;
      expect(discovery['issuer']).toBe(`http://localhost:${port}`);
      expect(discovery['token_endpoint']).toBe(`http://localhost:${port}/oauth/token`);
    } finally {
      await stop();
    }

    // Development secrets gone while the database stays: refused with the way out, not re-generated.
    unlinkSync(join(deployment, 'state', 'dev-secrets.json'));
    const line = oneLine(await gatehouse(['clients', 'list', '--config', config], elsewhere));
    expect(line).toContain('dev-secrets.json');
    expect(line).toContain('GATEHOUSE_ENCRYPTION_KEY');
    expect(existsSync(join(deployment, 'state', 'dev-secrets.json'))).toBe(false);
  });

  describe.skipIf(!pgUp)('PostgreSQL on first try', () => {
    const name = `gatehouse_first_${randomBytes(4).toString('hex')}`;
    const url = new URL(PG_URL);
    url.pathname = `/${name}`;
    afterAll(async () => {
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    });
    const secrets = () => ({ GATEHOUSE_SESSION_SECRET: randomBytes(32).toString('base64url'), GATEHOUSE_ENCRYPTION_KEY: randomBytes(32).toString('base64') });

    it('a database that does not exist: other commands say so, migrate creates it; a wrong key is named', async () => {
      const dir = tempDir();
      writeFileSync(join(dir, 'config.yaml'), stringify({ database: { url: url.href }, auth: { sessionSecret: '${GATEHOUSE_SESSION_SECRET}' }, security: { encryptionKey: '${GATEHOUSE_ENCRYPTION_KEY}' }, seeder: { superadmin: { password: 'first-hour-password-123' }, demoClient: { enabled: false } } }));
      rememberSecret('first-hour-password-123');
      const first = secrets();
      Object.values(first).forEach((s) => rememberSecret(s));
      const missing = oneLine(await gatehouse(['clients', 'list'], dir, first));
      expect(missing).toBe(`gatehouse: database.url: database "${name}" does not exist; \`gatehouse migrate\` creates it (when the role may)`);

      const migrated = await gatehouse(['migrate'], dir, first);
      expect(migrated.code, migrated.stderr).toBe(0);
      const listed = await gatehouse(['clients', 'list', '--json'], dir, first);
      expect(listed.code, listed.stderr).toBe(0);

      // The first start creates the signing keys, sealed with the first key.
      await (await serveUntilReady(['--port', String(await freePort())], dir, first))();
      // Secrets generated anew in another shell: the server refuses to start and says which setting is wrong.
      const wrong = await gatehouse(['serve', '--port', String(await freePort())], dir, secrets());
      const line = oneLine(wrong);
      expect(line).toMatch(/^gatehouse: security\.encryptionKey: cannot decrypt signing key \S+; this is not the key the database was created with\. Set security\.encryptionKey \(GATEHOUSE_ENCRYPTION_KEY\) to that key$/);
      expect(line).not.toContain('Unsupported state');
    });
  });
});
