#!/usr/bin/env node
// `npm run bench`: Gatehouse side by side with oidc-provider, using the shared load generator.
//
//   npm run bench -- [--db sqlite|postgres] [--scenarios cc,cc-jwt,...] [--connections 1,16,64]
//                    [--duration 10] [--runs 3] [--no-peer] [--peer-first] [--limits] [--only gatehouse-ES256,...]
//                    [--rounds N] [--out file.json]
//
// --rounds N runs the load N times with the order alternating and prints the median of per-round ratios.
//
// It copies ../shared/bench into bench/.work (the shared folder is read-only), installs its dependencies once,
// prepares one Gatehouse deployment per signing alg (database, clients, a user), writes a targets file with
// Gatehouse and the reference oidc-provider, and runs load.mjs once so both are measured in the same run.
// Servers are pinned to CPU 0 and the load generator to CPU 1; every run is bounded by --duration.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = resolve(ROOT, '../shared/bench');
const WORK = join(ROOT, 'bench/.work');
const BIN = join(ROOT, 'bin/gatehouse');

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => {
    if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1] && !all[i + 1].startsWith('--') ? all[i + 1] : true]);
    return acc;
  }, []),
);
const db = args.db ?? 'sqlite';
const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** argon2id parameters of the -lighthash targets' user: the smallest the library accepts. */
const LIGHT_HASH = { memoryCost: 8, timeCost: 1, parallelism: 1 };

function prepareWork() {
  if (!existsSync(SHARED)) throw new Error(`${SHARED} not found: the shared bench folder sits beside the repository`);
  mkdirSync(WORK, { recursive: true });
  for (const f of ['load.mjs', 'limits.mjs', 'peer-oidc-provider.mjs', 'package.json', 'package-lock.json', 'merge-results.mjs', 'profile-summary.mjs']) {
    if (existsSync(join(SHARED, f))) cpSync(join(SHARED, f), join(WORK, f));
  }
  if (!existsSync(join(WORK, 'node_modules/autocannon'))) {
    console.error('bench: installing the load generator and oidc-provider (once)…');
    execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: WORK, stdio: 'inherit' });
  }
  if (!existsSync(join(ROOT, 'dist/cli/index.js'))) execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
}

function cli(config, ...argv) {
  const r = spawnSync(process.execPath, [BIN, ...argv, '--config', config], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gatehouse ${argv.join(' ')} failed: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** One Gatehouse deployment per alg: fresh database, bench clients, one user. */
function prepareGatehouse(alg, port) {
  const dir = join(WORK, `gatehouse-${alg}-${db}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const schema = `bench_${alg.toLowerCase()}_${process.pid}`;
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
async function lightHashTarget(target) {
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

/** argon2id verification cost (µs CPU) on this core: the server's default parameters, or the light ones. */
async function passwordHashCost(options, n) {
  const { hash, verify } = await import('@node-rs/argon2');
  const h = await hash('bench-password', options);
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) await verify(h, 'bench-password');
  const used = process.cpuUsage(t0);
  return (used.user + used.system) / n;
}

prepareWork();
const targets = [prepareGatehouse('RS256', 3201), prepareGatehouse('ES256', 3202)];
for (const t of [...targets]) targets.push(await lightHashTarget(t));
if (!args['no-peer']) {
  const peer = JSON.parse((await import('node:fs')).readFileSync(join(SHARED, 'targets.peer.json'), 'utf8'));
  const peers = peer.map((t) => ({ ...t, scenarios: ['cc', 'cc-jwt', 'cc-post', 'introspect', 'jwks', 'flow', 'refresh'] }));
  // --peer-first swaps the order, to check that host noise does not favour whoever runs first.
  if (args['peer-first']) targets.unshift(...peers);
  else targets.push(...peers);
}
const targetsFile = join(WORK, `targets.compare.${db}.json`);
writeFileSync(targetsFile, JSON.stringify(targets, null, 2));
const hashUs = await passwordHashCost({}, 30);
const lightUs = await passwordHashCost(LIGHT_HASH, 500);
console.log(`bench: argon2id verify costs ${Math.round(hashUs)} µs of CPU on this core (default m=19 MiB, t=2), ${Math.round(lightUs)} µs with the -lighthash user's parameters`);

const out = args.out ? resolve(String(args.out)) : join(ROOT, `bench/results/run-${db}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
mkdirSync(dirname(out), { recursive: true });
const loadArgs = [
  join(WORK, 'load.mjs'),
  '--targets', targetsFile,
  '--connections', String(args.connections ?? '1,16,64'),
  '--duration', String(args.duration ?? 10),
  '--runs', String(args.runs ?? 3),
  '--out', out,
  ...(args.scenarios ? ['--scenarios', String(args.scenarios)] : []),
  ...(args.only ? ['--only', String(args.only)] : []),
  ...(args.engine ? ['--engine', String(args.engine)] : []),
];
const taskset = spawnSync('taskset', ['-c', '1', 'true']).status === 0;
process.on('exit', () => {
  if (db !== 'postgres') return;
  // The bench schemas are throwaway: drop them so repeated runs leave nothing behind.
  spawnSync(process.execPath, ['-e', `const pg=require('pg');const c=new pg.Client(${JSON.stringify(PG_URL)});c.connect().then(()=>c.query(${JSON.stringify(['RS256', 'ES256'].map((a) => `drop schema if exists bench_${a.toLowerCase()}_${process.pid} cascade;`).join(''))})).finally(()=>c.end())`], { cwd: ROOT });
});
const load = (argv) => spawnSync(taskset ? 'taskset' : process.execPath, taskset ? ['-c', '1', process.execPath, ...argv] : argv, { cwd: WORK, stdio: 'inherit' });
if (args.rounds) {
  // Interleaved rounds, order alternating: this host's noise comes in bursts of minutes, so ratios are taken
  // within a round and their median reported (bench/ratios.mjs).
  const outs = [];
  for (let i = 1; i <= Number(args.rounds); i++) {
    const ordered = i % 2 ? targets : [...targets.filter((t) => !t.name.startsWith('gatehouse')), ...targets.filter((t) => t.name.startsWith('gatehouse'))];
    const roundTargets = targetsFile.replace(/\.json$/, `-r${i}.json`);
    writeFileSync(roundTargets, JSON.stringify(ordered, null, 2));
    const roundOut = out.replace(/\.json$/, `-r${i}.json`);
    outs.push(roundOut);
    const argv = loadArgs.map((a) => (a === targetsFile ? roundTargets : a === out ? roundOut : a));
    if (load(argv).status !== 0) process.exit(1);
  }
  spawnSync(process.execPath, [join(ROOT, 'bench/ratios.mjs'), ...outs], { stdio: 'inherit' });
  console.log(`bench: password hash per flow ≈ ${Math.round(hashUs)} µs CPU (-lighthash targets: ${Math.round(lightUs)} µs)`);
  process.exit(0);
}
const r = load(loadArgs);
console.log(`bench: raw results in ${out}; password hash per flow ≈ ${Math.round(hashUs)} µs CPU (-lighthash targets: ${Math.round(lightUs)} µs)`);
if (args.limits && r.status === 0) {
  // The bare-server ceilings (node:http and Fastify signing ES256/RS256 JWTs), measured in the same session.
  const limitsOut = out.replace(/\.json$/, '-limits.json');
  const l = spawnSync(taskset ? 'taskset' : process.execPath, [...(taskset ? ['-c', '0', process.execPath] : []), join(WORK, 'limits.mjs'), '--only', 'http', '--duration', String(args.duration ?? 5), '--runs', '1', '--out', limitsOut], { cwd: WORK, stdio: 'inherit' });
  process.exit(l.status ?? 1);
}
process.exit(r.status ?? 1);
