// Bench deployments of Gatehouse: shared by `npm run bench` (bench/run.mjs) and the PostgreSQL figures
// (bench/postgres.mjs). Each is a fresh database with the bench clients and users, started as an operator does.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const WORK = join(ROOT, 'bench/.work');
export const BIN = join(ROOT, 'bin/gatehouse');
export const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** argon2id parameters of the -lighthash targets' user: the smallest the library accepts. */
export const LIGHT_HASH = { memoryCost: 8, timeCost: 1, parallelism: 1 };

/** The PostgreSQL schema of one deployment of this bench process (dropped at exit). */
const benchSchema = (alg, tag) => `bench_${alg.toLowerCase()}${tag.replace(/\W/g, '')}_${process.pid}`;

/** Drops every bench schema of this process: they are throwaway. */
export function dropBenchSchemas() {
  const script = `const pg=require('pg');const c=new pg.Client(${JSON.stringify(PG_URL)});
    c.connect().then(async()=>{const r=await c.query("select schema_name from information_schema.schemata where schema_name like 'bench%_${process.pid}'");
    for (const {schema_name} of r.rows) await c.query('drop schema if exists "'+schema_name+'" cascade');}).finally(()=>c.end())`;
  spawnSync(process.execPath, ['-e', script], { cwd: ROOT });
}

export function cli(config, ...argv) {
  const r = spawnSync(process.execPath, [BIN, ...argv, '--config', config], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gatehouse ${argv.join(' ')} failed: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** One Gatehouse deployment per alg: fresh database, bench clients, one user. */
export function prepareGatehouse(alg, port, { db = 'sqlite', extra = [], tag = '' } = {}) {
  const dir = join(WORK, `gatehouse-${alg}-${db}${tag}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const schema = benchSchema(alg, tag);
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    [
      'server:',
      `  port: ${port}`,
      `  issuer: http://127.0.0.1:${port}`,
      '  logLevel: warn',
      'database:',
      db === 'postgres' ? `  url: ${PG_URL}\n  schema: ${schema}\n  poolSize: 10` : `  url: sqlite:${join(dir, 'gatehouse.db')}`,
      'auth:',
      `  sessionSecret: ${randomBytes(32).toString('base64url')}`,
      '  accessTokenExpiry: 600',
      '  refreshTokenExpiry: 1d',
      '  loginRateLimit: { perAccountAndIp: 1000000, perAccount: 1000000, perIp: 1000000, window: 1m }',
      '  resources: [https://jwt.api.test, https://opaque.api.test]',
      'security:',
      `  encryptionKey: ${randomBytes(32).toString('base64')}`,
      // Throughput runs queue every sign-in rather than refuse past the default 32 waiting.
      '  hashQueueLength: 10000',
      `  accessTokenAlg: ${alg}`,
      `  idTokenAlg: ${alg}`,
      'seeder:',
      '  demoClient: { enabled: false }',
      `  superadmin: { email: admin@bench.test, password: ${randomBytes(12).toString('base64url')} }`,
      ...extra,
      '',
    ].join('\n'),
  );
  cli(config, 'migrate');
  // A client holds only registered scopes: the bench API's scope is a custom scope of the default project.
  const scopes = JSON.parse(cli(config, 'scopes', 'list', '--json'));
  if (!scopes.some((x) => x.name === 'api:read')) cli(config, 'scopes', 'create', '--name', 'api:read', '--description', 'Read the bench API');
  const resources = ['--resource', 'https://jwt.api.test', '--resource', 'https://opaque.api.test'];
  const basic = JSON.parse(cli(config, 'clients', 'create', '--client-id', 'cc-basic', '--scope', 'api:read', ...resources, '--json'));
  const post = JSON.parse(cli(config, 'clients', 'create', '--client-id', 'cc-post', '--auth', 'client_secret_post', '--scope', 'api:read', ...resources, '--json'));
  cli(config, 'clients', 'create', '--client-id', 'app', '--public', '--redirect-uri', 'http://127.0.0.1:9/cb', '--grant', 'authorization_code', '--grant', 'refresh_token', '--scope', 'openid offline_access');
  // The same public client with opaque access tokens: what the reference issues without a resource.
  cli(config, 'clients', 'create', '--client-id', 'app-opaque', '--public', '--access-token-format', 'opaque', '--redirect-uri', 'http://127.0.0.1:9/cb', '--grant', 'authorization_code', '--grant', 'refresh_token', '--scope', 'openid offline_access');
  cli(config, 'users', 'create', '--email', 'bench-user@bench.test', '--password', 'bench-password');
  cli(config, 'users', 'create', '--email', 'light-user@bench.test', '--password', 'bench-password');
  return {
    name: `gatehouse-${alg}`,
    url: `http://127.0.0.1:${port}`,
    // Started the way an operator does (./bin/gatehouse serve), so its shebang's runtime flags apply.
    start: [BIN, 'serve', '--config', config],
    cpu: 0,
    restart: 'scenario',
    cc_basic: { client_id: 'cc-basic', client_secret: basic.client_secret },
    cc_post: { client_id: 'cc-post', client_secret: post.client_secret },
    public_client: { client_id: 'app', redirect_uri: 'http://127.0.0.1:9/cb' },
    scope: 'api:read',
    jwt_resource: 'https://jwt.api.test',
    // Gatehouse access tokens are always JWTs; introspection is measured on one.
    opaque_resource: 'https://jwt.api.test',
    flow_scope: 'openid offline_access',
    flow_extra_params: { prompt: 'consent' },
    login: { username: 'bench-user@bench.test', password: 'bench-password' },
    scenarios: ['cc', 'cc-jwt', 'cc-post', 'introspect', 'jwks', 'flow', 'refresh'],
  };
}

/**
 * The same server measured on the flow with the password hash taken out of the comparison: its user's stored
 * argon2id hash has the smallest parameters (8 KiB, one pass), so the server runs its production login path
 * (argon2id verification of the stored hash) at almost no cost. The reference accepts any password unhashed.
 */
export async function lightHashTarget(target) {
  const config = target.start[target.start.indexOf('--config') + 1];
  const { hash } = await import('@node-rs/argon2');
  const { loadConfig } = await import('../dist/config/load.js');
  const { openDatabase } = await import('../dist/storage/db.js');
  const c = loadConfig({ path: config });
  const handle = await openDatabase({ ...c.database, poolSize: 1 });
  const light = await hash('bench-password', LIGHT_HASH);
  await handle.updateTable('users').set({ password_hash: light }).where('email', '=', 'light-user@bench.test').execute();
  await handle.destroy();
  return { ...target, name: `${target.name}-lighthash`, login: { username: 'light-user@bench.test', password: 'bench-password' }, scenarios: ['flow'] };
}

/**
 * The same server's refresh with opaque access tokens (`access_token_format: opaque`): one signature per
 * refresh (the ID token) instead of two, as the reference signs when it issues opaque tokens without `resource`.
 */
export function opaqueTarget(target) {
  return { ...target, name: `${target.name}-opaque`, public_client: { ...target.public_client, client_id: 'app-opaque' }, scenarios: ['refresh'] };
}

/** Starts `gatehouse serve` and resolves when it prints READY. */
export function startNode(target, port, env = {}, { cpu } = {}) {
  const config = target.start[target.start.indexOf('--config') + 1];
  const argv = ['serve', '--config', config, '--port', String(port)];
  // --cpu pins the server to one core (taskset), as the load generator's runs do.
  const [cmd, cmdArgs] = cpu === undefined ? [BIN, argv] : ['taskset', ['-c', String(cpu), BIN, ...argv]];
  const child = spawn(cmd, cmdArgs, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`node on ${port} did not start: ${out}`)), 30_000);
    const onData = (d) => {
      out += d;
      if (out.includes('READY')) {
        clearTimeout(timer);
        res({ pid: child.pid, url: `http://127.0.0.1:${port}`, stop: () => new Promise((r) => (child.once('exit', r), child.kill('SIGTERM'))) });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => rej(new Error(`node on ${port} exited ${code}: ${out}`)));
  });
}
