#!/usr/bin/env node
// PostgreSQL figures for docs/PERFORMANCE.md (issue 13):
//
//   node bench/postgres.mjs [--ops 40] [--duration 5] [--connections 16] [--no-nodes] [--out file.json]
//
// 1. Statements per operation, counted in the pg driver (bench/count-statements.mjs, preloaded into the server):
//    client_credentials, introspection, refresh, the code flow and an authorization with a session and consent
//    (the code at once), each run --ops times one after another after a warm-up, counted from the driver's own
//    tally before and after. BEGIN/COMMIT are counted apart.
// 2. Throughput of one node against two nodes on one PostgreSQL with Redis (`redis.url`: shared limits), in the
//    same run: the shared load generator against one node, then two generators against two nodes at once.
//    Nothing is pinned here: two nodes need both cores, which they share with PostgreSQL, Redis and the load.
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT, WORK, dropBenchSchemas, lightHashTarget, prepareGatehouse, startNode } from './targets.mjs';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => {
    if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1] && !all[i + 1].startsWith('--') ? all[i + 1] : true]);
    return acc;
  }, []),
);
const OPS = Math.min(Number(args.ops ?? 40), 500);
const DURATION = Math.min(Number(args.duration ?? 5), 30);
const CONNECTIONS = Number(args.connections ?? 16);

if (!existsSync(join(ROOT, 'dist/cli/index.js'))) execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
mkdirSync(WORK, { recursive: true });
process.on('exit', () => dropBenchSchemas());

// ---- a scripted browser: authorize → login → consent → token, cookies per path --------------------------
class Browser {
  cookies = new Map();
  constructor(base) { this.base = base; }
  store(res) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const path = attrs.find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? '/';
      const gone = attrs.some((a) => /^max-age=0$/i.test(a)) || pair.slice(eq + 1) === '';
      const key = `${pair.slice(0, eq)} ${path}`;
      if (gone) this.cookies.delete(key);
      else this.cookies.set(key, { pair, path });
    }
  }
  header(url) {
    const p = new URL(url).pathname;
    return [...this.cookies.values()].filter((c) => c.path === '/' || p === c.path || p.startsWith(`${c.path}/`)).map((c) => c.pair).join('; ');
  }
  async request(url, init = {}) {
    const full = new URL(url, this.base).href;
    const res = await fetch(full, { redirect: 'manual', ...init, headers: { ...init.headers, cookie: this.header(full) } });
    this.store(res);
    return res;
  }
  submit(html, extra = {}) {
    const m = html.match(/<form\b[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/);
    if (!m) throw new Error(`no form: ${html.slice(0, 300)}`);
    const fields = {};
    for (const i of m[2].matchAll(/<input\b[^>]*>/g)) {
      const name = i[0].match(/name="([^"]*)"/)?.[1];
      if (name) fields[name] = (i[0].match(/value="([^"]*)"/)?.[1] ?? '').replace(/&amp;/g, '&');
    }
    return this.request(m[1].replace(/&amp;/g, '&'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...fields, ...extra }).toString(),
    });
  }
}

const basic = (id, secret) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
async function post(url, form, headers = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(form).toString() });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

function authorizeQuery(target, verifier, extra = target.flow_extra_params) {
  return new URLSearchParams({
    response_type: 'code', client_id: target.public_client.client_id, redirect_uri: target.public_client.redirect_uri,
    scope: target.flow_scope, state: randomBytes(8).toString('hex'), nonce: randomBytes(8).toString('hex'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256', ...extra,
  });
}

async function codeFlow(target, base, browser = new Browser(base)) {
  const verifier = randomBytes(32).toString('base64url');
  const q = authorizeQuery(target, verifier);
  let res = await browser.request(`/oauth/authorize?${q}`);
  res = await browser.submit(await res.text(), target.login);
  if (res.status === 200) res = await browser.submit(await res.text());
  const code = new URL(res.headers.get('location')).searchParams.get('code');
  if (!code) throw new Error(`no code: ${res.status}`);
  return post(`${base}/oauth/token`, { grant_type: 'authorization_code', code, redirect_uri: target.public_client.redirect_uri, client_id: target.public_client.client_id, code_verifier: verifier });
}

// ---- 1. statements per operation -------------------------------------------------------------------------
async function statementsPerOperation(target) {
  const countFile = join(WORK, `statements-${process.pid}.json`);
  const node = await startNode(target, 3211, {
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${new URL('./count-statements.mjs', import.meta.url).href}`,
    GATEHOUSE_STATEMENT_COUNT_FILE: countFile,
  });
  const snapshot = async () => {
    const before = existsSync(countFile) ? statSync(countFile).mtimeMs : 0;
    process.kill(node.pid, 'SIGUSR2');
    for (let i = 0; i < 100 && (!existsSync(countFile) || statSync(countFile).mtimeMs === before); i++) await sleep(10);
    await sleep(20);
    return JSON.parse(readFileSync(countFile, 'utf8'));
  };
  const base = node.url;
  const cc = () => post(`${base}/oauth/token`, { grant_type: 'client_credentials', scope: target.scope, resource: target.jwt_resource }, { authorization: basic(target.cc_basic.client_id, target.cc_basic.client_secret) });
  const sample = (await cc()).access_token;
  const signedIn = new Browser(base);
  let refreshToken = (await codeFlow(target, base, signedIn)).refresh_token;
  const operations = {
    client_credentials: cc,
    introspection: () => post(`${base}/oauth/introspect`, { token: sample }, { authorization: basic(target.cc_basic.client_id, target.cc_basic.client_secret) }),
    refresh: async () => {
      const t = await post(`${base}/oauth/token`, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: target.public_client.client_id });
      refreshToken = t.refresh_token;
    },
    'code flow (4 requests)': () => codeFlow(target, base),
    'authorization with a session and consent (1 request, no token)': async () => {
      const res = await signedIn.request(`/oauth/authorize?${authorizeQuery(target, randomBytes(32).toString('base64url'), {})}`);
      if (!new URL(res.headers.get('location') ?? 'x:').searchParams.get('code')) throw new Error(`no code: ${res.status}`);
    },
  };
  const result = {};
  for (const [name, op] of Object.entries(operations)) {
    for (let i = 0; i < 3; i++) await op();
    await sleep(1_200); // past the client cache's one-second lifetime, so a lookup would show
    const a = await snapshot();
    for (let i = 0; i < OPS; i++) await op();
    const b = await snapshot();
    const delta = Object.fromEntries(Object.entries(b).map(([k, v]) => [k, (v - (a[k] ?? 0)) / OPS]).filter(([, v]) => v > 0));
    const control = Object.entries(delta).filter(([k]) => /^(begin|commit|rollback|savepoint|release)\b/i.test(k)).reduce((s, [, v]) => s + v, 0);
    const total = Object.values(delta).reduce((s, v) => s + v, 0);
    result[name] = { total, data: total - control, transactionControl: control, statements: delta };
    console.log(`${name}: ${total.toFixed(2)} statements per operation (${(total - control).toFixed(2)} + ${control.toFixed(2)} BEGIN/COMMIT)`);
    for (const [k, v] of Object.entries(delta)) console.log(`    ${v.toFixed(2)}  ${k}`);
  }
  await node.stop();
  return result;
}

// ---- 2. one node against two ----------------------------------------------------------------------------
function prepareLoad() {
  const shared = resolve(ROOT, '../shared/bench');
  for (const f of ['load.mjs', 'package.json', 'package-lock.json']) cpSync(join(shared, f), join(WORK, f));
  if (!existsSync(join(WORK, 'node_modules/autocannon'))) execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: WORK, stdio: 'inherit' });
}

function loadRun(targets, scenario, tag) {
  return Promise.all(targets.map((t, i) => new Promise((res, rej) => {
    const file = join(WORK, `nodes-${tag}-${i}.json`);
    writeFileSync(file.replace(/\.json$/, '.targets.json'), JSON.stringify([{ ...t, scenarios: [scenario] }]));
    const child = spawn(process.execPath, [join(WORK, 'load.mjs'), '--targets', file.replace(/\.json$/, '.targets.json'), '--scenarios', scenario, '--connections', String(CONNECTIONS), '--duration', String(DURATION), '--runs', '1', '--warmup', '1', '--max-retries', '0', '--quiet', '--out', file], { cwd: WORK, stdio: 'inherit' });
    child.once('exit', (code) => (code === 0 ? res(JSON.parse(readFileSync(file, 'utf8')).rows[0]) : rej(new Error(`load ${scenario} exited ${code}`))));
  })));
}

async function nodesThroughput() {
  prepareLoad();
  const plain = await lightHashTarget(prepareGatehouse('ES256', 3212, { db: 'postgres', tag: '-nodes', extra: ['redis:', '  url: redis://127.0.0.1:6379'] }));
  const a = await startNode(plain, 3212);
  const b = await startNode(plain, 3213);
  const target = (node, name) => ({ ...plain, name, url: node.url, pid: node.pid, start: undefined });
  const result = {};
  for (const scenario of ['cc-jwt', 'introspect', 'refresh', 'flow']) {
    const [one] = await loadRun([target(a, 'node-a')], scenario, `${scenario}-one`);
    const two = await loadRun([target(a, 'node-a'), target(b, 'node-b')], scenario, `${scenario}-two`);
    const sum = two.reduce((s, r) => s + r.rps, 0);
    result[scenario] = { oneNode: one.rps, twoNodes: sum, perNode: two.map((r) => r.rps), scale: sum / one.rps, cpuUsPerOp: { one: one.serverCpuUsPerOp, two: two.map((r) => r.serverCpuUsPerOp) } };
    console.log(`${scenario} @${CONNECTIONS} per node: one node ${one.rps.toFixed(0)}/s, two nodes ${sum.toFixed(0)}/s (${two.map((r) => r.rps.toFixed(0)).join(' + ')}), ×${(sum / one.rps).toFixed(2)}`);
  }
  await Promise.all([a.stop(), b.stop()]);
  return result;
}

const target = await lightHashTarget(prepareGatehouse('ES256', 3211, { db: 'postgres' }));
const figures = { date: new Date().toISOString(), ops: OPS, statements: await statementsPerOperation(target) };
if (!args['no-nodes']) figures.nodes = await nodesThroughput();
const out = args.out ? resolve(String(args.out)) : join(ROOT, `bench/results/postgres-${figures.date.replace(/[:.]/g, '-')}.json`);
writeFileSync(out, JSON.stringify(figures, null, 2));
console.log(`bench: PostgreSQL figures in ${out}`);
