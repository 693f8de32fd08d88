#!/usr/bin/env node
// DPoP client_credentials (issue 11): server CPU per token with and without a DPoP proof, in one run.
//
//   node bench/dpop.mjs [--db sqlite|postgres] [--alg ES256] [--connections 16] [--duration 5] [--rounds 3] [--out file.json]
//   (also run by `npm run bench`, as the cc-dpop scenario)
//
// The shared load generator replays one fixed request, which a DPoP proof cannot be (its jti is one-time), so
// this script drives the token endpoint itself: --connections loops, each a fresh ES256 proof per request (signed
// here, with jose, on the load core), against one `gatehouse serve` pinned to CPU 0. Phases alternate bearer and
// DPoP for --rounds rounds; each phase reads the server's CPU time from /proc and reports µs of server CPU per
// issued token. The median ratio of the rounds is printed and written to --out.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { Agent, request } from 'undici';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { ROOT, dropBenchSchemas, prepareGatehouse, startNode } from './targets.mjs';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => {
    if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1] && !all[i + 1].startsWith('--') ? all[i + 1] : true]);
    return acc;
  }, []),
);
const DB = args.db ?? 'sqlite';
const ALG = args.alg ?? 'ES256';
const CONNECTIONS = Math.min(Number(args.connections ?? 16), 256);
const DURATION = Math.min(Number(args.duration ?? 5), 30);
const ROUNDS = Math.min(Number(args.rounds ?? 3), 10);
const PORT = 3221;

// The load runs on CPU 1 when taskset exists: re-run this script there once.
if (!process.env.GATEHOUSE_BENCH_PINNED && spawnSync('taskset', ['-c', '1', 'true']).status === 0) {
  const r = spawnSync('taskset', ['-c', '1', process.execPath, ...process.argv.slice(1)], { stdio: 'inherit', env: { ...process.env, GATEHOUSE_BENCH_PINNED: '1' } });
  process.exit(r.status ?? 1);
}
if (DB === 'postgres') process.on('exit', () => dropBenchSchemas());

const TICKS = 100; // USER_HZ on Linux
function cpuSeconds(pid) {
  // /proc/<pid>/stat: fields 14 and 15 are utime and stime (after the parenthesised command name).
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

const target = prepareGatehouse(ALG, PORT, { db: DB, tag: '-dpop' });
const node = await startNode(target, PORT, {}, { cpu: 0 });
const tokenUrl = `${node.url}/oauth/token`;
const htu = `${target.url}/oauth/token`;
const authorization = `Basic ${Buffer.from(`${target.cc_basic.client_id}:${target.cc_basic.client_secret}`).toString('base64')}`;
const body = new URLSearchParams({ grant_type: 'client_credentials', scope: target.scope, resource: target.jwt_resource }).toString();
const dispatcher = new Agent({ connections: CONNECTIONS, pipelining: 1 });
const { privateKey, publicKey } = await generateKeyPair('ES256');
const jwk = await exportJWK(publicKey);
let nonce;

const proof = () =>
  new SignJWT({ htm: 'POST', htu, jti: crypto.randomUUID(), iat: Math.floor(Date.now() / 1000), ...(nonce ? { nonce } : {}) })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
    .sign(privateKey);

async function issue(dpop) {
  const headers = { 'content-type': 'application/x-www-form-urlencoded', authorization };
  if (dpop) headers.dpop = await proof();
  const res = await request(tokenUrl, { method: 'POST', headers, body, dispatcher });
  const json = await res.body.json();
  const next = res.headers['dpop-nonce'];
  if (typeof next === 'string') nonce = next;
  if (res.statusCode !== 200) throw new Error(`token ${res.statusCode} ${JSON.stringify(json)}`);
  if (json.token_type !== (dpop ? 'DPoP' : 'Bearer')) throw new Error(`token_type ${json.token_type}`);
}

async function phase(dpop, seconds) {
  const until = Date.now() + seconds * 1000;
  let ok = 0;
  let errors = 0;
  let firstError;
  const loop = async () => {
    while (Date.now() < until) {
      try {
        await issue(dpop);
        ok++;
      } catch (err) {
        errors++;
        firstError ??= String(err);
      }
    }
  };
  const cpu0 = cpuSeconds(node.pid);
  const t0 = Date.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, loop));
  const cpu = cpuSeconds(node.pid) - cpu0;
  const wall = (Date.now() - t0) / 1000;
  if (errors) console.error(`bench dpop: ${errors} errors, first: ${firstError}`);
  return { dpop, tokens: ok, errors, rps: ok / wall, serverCpuPct: (100 * cpu) / wall, serverCpuUsPerToken: (cpu * 1e6) / ok };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  await phase(false, 1);
  await phase(true, 1);
  const rounds = [];
  for (let i = 0; i < ROUNDS; i++) {
    // Alternate which goes first: the host's noise comes in bursts.
    const [first, second] = i % 2 ? [true, false] : [false, true];
    const a = await phase(first, DURATION);
    const b = await phase(second, DURATION);
    const [bearer, dpop] = first ? [b, a] : [a, b];
    rounds.push({ bearer, dpop, ratio: dpop.serverCpuUsPerToken / bearer.serverCpuUsPerToken });
    console.log(
      `bench dpop round ${i + 1}: bearer ${bearer.rps.toFixed(0)}/s ${bearer.serverCpuUsPerToken.toFixed(0)} µs CPU/token; ` +
        `DPoP ${dpop.rps.toFixed(0)}/s ${dpop.serverCpuUsPerToken.toFixed(0)} µs CPU/token; ratio ${rounds.at(-1).ratio.toFixed(2)}`,
    );
  }
  const summary = {
    db: DB,
    alg: ALG,
    connections: CONNECTIONS,
    duration: DURATION,
    medianBearerUs: median(rounds.map((r) => r.bearer.serverCpuUsPerToken)),
    medianDpopUs: median(rounds.map((r) => r.dpop.serverCpuUsPerToken)),
    medianRatio: median(rounds.map((r) => r.ratio)),
    rounds,
  };
  console.log(`bench dpop: median server CPU per token bearer ${summary.medianBearerUs.toFixed(0)} µs, DPoP ${summary.medianDpopUs.toFixed(0)} µs (×${summary.medianRatio.toFixed(2)})`);
  const out = args.out ? resolve(String(args.out)) : join(ROOT, `bench/results/dpop-${DB}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(summary, null, 2));
} finally {
  await dispatcher.close();
  await node.stop();
}
