#!/usr/bin/env node
// `npm run bench`: Gatehouse side by side with oidc-provider, using the shared load generator.
//
//   npm run bench -- [--db sqlite|postgres] [--scenarios cc,cc-jwt,...] [--connections 1,16,64]
//                    [--duration 10] [--runs 3] [--no-peer] [--peer-first] [--limits] [--only gatehouse-ES256,...]
//                    [--rounds N] [--out file.json]
//
// The cc-dpop scenario (DPoP client_credentials, server CPU per token with and without a proof) is bench/dpop.mjs:
// it runs after the shared load when --scenarios is not given or names it.
//
// --rounds N runs the load N times with the order alternating and prints the median of per-round ratios.
//
// It copies ../shared/bench into bench/.work (the shared folder is read-only), installs its dependencies once,
// prepares one Gatehouse deployment per signing alg (database, clients, a user), writes a targets file with
// Gatehouse and the reference oidc-provider, and runs load.mjs once so both are measured in the same run.
// Servers are pinned to CPU 0 and the load generator to CPU 1; every run is bounded by --duration.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { LIGHT_HASH, ROOT, WORK, dropBenchSchemas, lightHashTarget, opaqueTarget, prepareGatehouse } from './targets.mjs';

const SHARED = resolve(ROOT, '../shared/bench');

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => {
    if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1] && !all[i + 1].startsWith('--') ? all[i + 1] : true]);
    return acc;
  }, []),
);
const db = args.db ?? 'sqlite';
const scenarioList = args.scenarios ? String(args.scenarios).split(',') : undefined;
const withDpop = !scenarioList || scenarioList.includes('cc-dpop');
const sharedScenarios = scenarioList?.filter((s) => s !== 'cc-dpop');

/** bench/dpop.mjs with this run's database and duration; its own rounds alternate bearer and DPoP. */
function runDpop(out) {
  const argv = [join(ROOT, 'bench/dpop.mjs'), '--db', db, '--duration', String(args.duration ?? 5), '--rounds', String(args.rounds ?? 3), '--out', out.replace(/\.json$/, '-dpop.json')];
  return spawnSync(process.execPath, argv, { stdio: 'inherit' }).status ?? 1;
}

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
const targets = [prepareGatehouse('RS256', 3201, { db }), prepareGatehouse('ES256', 3202, { db })];
for (const t of [...targets]) targets.push(await lightHashTarget(t), opaqueTarget(t));
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
  ...(sharedScenarios ? ['--scenarios', sharedScenarios.join(',')] : []),
  ...(args.only ? ['--only', String(args.only)] : []),
  ...(args.engine ? ['--engine', String(args.engine)] : []),
];
const taskset = spawnSync('taskset', ['-c', '1', 'true']).status === 0;
process.on('exit', () => {
  if (db === 'postgres') dropBenchSchemas();
});
const load = (argv) => spawnSync(taskset ? 'taskset' : process.execPath, taskset ? ['-c', '1', process.execPath, ...argv] : argv, { cwd: WORK, stdio: 'inherit' });
if (args.rounds && sharedScenarios?.length !== 0) {
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
  process.exit(withDpop ? runDpop(out) : 0);
}
const r = sharedScenarios?.length === 0 ? { status: 0 } : load(loadArgs);
console.log(`bench: raw results in ${out}; password hash per flow ≈ ${Math.round(hashUs)} µs CPU (-lighthash targets: ${Math.round(lightUs)} µs)`);
if (args.limits && r.status === 0) {
  // The bare-server ceilings (node:http and Fastify signing ES256/RS256 JWTs), measured in the same session.
  const limitsOut = out.replace(/\.json$/, '-limits.json');
  const l = spawnSync(taskset ? 'taskset' : process.execPath, [...(taskset ? ['-c', '0', process.execPath] : []), join(WORK, 'limits.mjs'), '--only', 'http', '--duration', String(args.duration ?? 5), '--runs', '1', '--out', limitsOut], { cwd: WORK, stdio: 'inherit' });
  process.exit(l.status ?? 1);
}
if (r.status === 0 && withDpop) process.exit(runDpop(out));
process.exit(r.status ?? 1);
