/**
 * Runs the built `gatehouse` CLI as a child process against a temporary config, exactly as an operator would:
 * `gatehouse migrate`, then `gatehouse serve`. Everything listens on 127.0.0.1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { PG_URL, dropSchema, uniqueSchema } from './postgres.js';
import { assertNoSecretsLogged, rememberSecret, rememberSecretsIn } from './log-scan.js';

export type Dialect = 'sqlite' | 'postgres';

const BIN = resolve('bin/gatehouse');

export const DEMO_SECRET = 'demo-secret-for-tests-0123456789abcdef';
export const ADMIN_PASSWORD = 'correct horse battery staple';

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  args.forEach((a, i) => (a === '--password' || a === '--secret') && rememberSecret(args[i + 1]));
  return new Promise((res) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      rememberCliSecrets(stdout);
      res({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** The CLI prints secrets once, as JSON (`--json`) or as "… (shown once): VALUE": no server log may repeat them. */
function rememberCliSecrets(stdout: string): void {
  try {
    const parsed: unknown = JSON.parse(stdout);
    for (const item of Array.isArray(parsed) ? parsed : [parsed]) rememberSecretsIn(item);
  } catch {
    for (const m of stdout.matchAll(/\(shown once\):\s*(\S+)/g)) rememberSecret(m[1]);
  }
}

export interface Deployment {
  dialect: Dialect;
  dir: string;
  configPath: string;
  issuer: string;
  port: number;
  cli(args: string[]): Promise<CliResult>;
  /** Starts a `gatehouse serve` of this deployment (a second call starts a second process, on another port). */
  serve(port?: number): Promise<ServerProcess>;
  cleanup(): Promise<void>;
}

export interface ServerProcess {
  url: string;
  proc: ChildProcess;
  output(): string;
  stop(): Promise<number | null>;
  kill9(): Promise<void>;
}

function mergeInto(target: Record<string, unknown>, extra: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(extra)) {
    const t = target[k];
    if (v && typeof v === 'object' && !Array.isArray(v) && t && typeof t === 'object') mergeInto(t as Record<string, unknown>, v as Record<string, unknown>);
    else target[k] = v;
  }
}

/** Writes a config for a fresh database of the given dialect and migrates + seeds it. */
export async function createDeployment(dialect: Dialect, extra: Record<string, unknown> = {}): Promise<Deployment> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-test-'));
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const schema = dialect === 'postgres' ? uniqueSchema() : undefined;
  const config = {
    server: { host: '127.0.0.1', port, issuer, logLevel: 'warn' },
    database: dialect === 'sqlite' ? { url: `sqlite:${join(dir, 'gatehouse.db')}` } : { url: PG_URL, schema, poolSize: 5 },
    auth: {
      sessionSecret: randomBytes(32).toString('base64url'),
      resources: ['https://api.example.com', 'https://other.example.com'],
    },
    security: { encryptionKey: randomBytes(32).toString('base64'), keyRefreshInterval: 1 },
    registration: { enabled: true, open: false, initialAccessTokens: ['test-initial-access-token-0123456789'] },
    seeder: {
      superadmin: { email: 'admin@example.com', firstName: 'Ada', lastName: 'Admin', password: ADMIN_PASSWORD },
      demoClient: { clientSecret: DEMO_SECRET, scopes: ['openid', 'profile', 'email', 'offline_access', 'api:read'] },
    },
  };
  mergeInto(config as Record<string, unknown>, extra);
  for (const secret of [ADMIN_PASSWORD, DEMO_SECRET, config.auth.sessionSecret, config.security.encryptionKey, ...config.registration.initialAccessTokens]) {
    rememberSecret(secret);
  }
  const configPath = join(dir, 'config.yaml');
  writeFileSync(configPath, stringify(config));
  // An https issuer (server.tls) is served and reached over https.
  const scheme = new URL(config.server.issuer).protocol.slice(0, -1);
  const cli = (args: string[]) => runCli([...args, '--config', configPath]);
  const migrated = await cli(['migrate']);
  if (migrated.code !== 0) throw new Error(`migrate failed: ${migrated.stderr}${migrated.stdout}`);
  const processes: ServerProcess[] = [];
  return {
    dialect,
    dir,
    configPath,
    issuer: config.server.issuer,
    port,
    cli,
    async serve(p = port) {
      const server = await startServe(configPath, p, scheme);
      processes.push(server);
      return server;
    },
    async cleanup() {
      await Promise.all(processes.map((s) => s.stop()));
      if (schema) await dropSchema(schema);
      rmSync(dir, { recursive: true, force: true });
      // Issue 10: the output of every server this deployment ran is searched for every secret the test saw.
      assertNoSecretsLogged(processes.map((s) => ({ source: `${dialect} ${s.url}`, output: s.output() })));
    },
  };
}

function startServe(configPath: string, port: number, scheme = 'http'): Promise<ServerProcess> {
  const proc = spawn(process.execPath, [BIN, 'serve', '--config', configPath, '--port', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((res) => proc.on('exit', (code) => res(code)));
  return new Promise((res, rej) => {
    // Generous: a first start generates every signing key, slow on a loaded two-core CI machine.
    const timer = setTimeout(() => rej(new Error(`server did not start:\n${out}`)), 60_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('READY ')) {
        clearTimeout(timer);
        res({
          url: `${scheme}://127.0.0.1:${port}`,
          proc,
          output: () => out,
          async stop() {
            if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
            proc.kill('SIGTERM');
            return exited;
          },
          async kill9() {
            proc.kill('SIGKILL');
            await exited;
          },
        });
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
    proc.on('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`server exited with ${code}:\n${out}`));
    });
  });
}

/** `describe.each` rows: SQLite always, PostgreSQL when reachable (always in CI). */
export const DIALECTS: Dialect[] = ['sqlite', 'postgres'];
