#!/usr/bin/env node
// Renders interleaved bench rounds (`npm run bench -- --rounds N`) as one table of ratios.
//
//   node bench/ratios.mjs results/x-r1.json results/x-r2.json ...
//
// This host's noise comes in bursts of minutes, so a ratio is taken within each round (both servers measured
// minutes apart at most, the order alternating between rounds) and the table shows the median of those ratios,
// for requests/s and for server CPU µs per operation (reference µs ÷ Gatehouse µs: above 1 means cheaper).
import { readFileSync } from 'node:fs';

const files = process.argv.slice(2).filter((f) => f.endsWith('.json'));
const rounds = files.map((f) => JSON.parse(readFileSync(f, 'utf8')).rows);
const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
const alg = (name) => name.match(/(RS256|ES256|PS256|EdDSA)/)?.[1];
const cell = (rows, target, scenario, conns) => rows.find((r) => r.target === target && r.scenario === scenario && r.connections === conns);

/** Which reference each Gatehouse target is compared with: the same alg; refresh also against RS256 (the issue's reference). */
function references(target, scenario) {
  const refs = [`oidc-provider-${alg(target)}`];
  if (scenario === 'refresh' && alg(target) !== 'RS256') refs.push('oidc-provider-RS256');
  return refs;
}

const keys = new Map();
for (const rows of rounds) {
  for (const r of rows) {
    if (!r.target.startsWith('gatehouse')) continue;
    keys.set(`${r.target}|${r.scenario}|${r.connections}`, { target: r.target, scenario: r.scenario, connections: r.connections });
  }
}

const fmt = (x, d = 0) => (Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : '–');
console.log(`Interleaved rounds: ${rounds.length} (order alternating). Medians across rounds; ratios taken within each round.\n`);
console.log('| scenario | c | gatehouse target | ops/s | µs/op | p99 ms | reference | ops/s | µs/op | ratio ops/s | ratio µs/op |');
console.log('|---|---:|---|---:|---:|---:|---|---:|---:|---:|---:|');
for (const { target, scenario, connections } of [...keys.values()].sort((a, b) => a.scenario.localeCompare(b.scenario) || a.target.localeCompare(b.target) || a.connections - b.connections)) {
  for (const ref of references(target, scenario)) {
    const pairs = rounds.map((rows) => [cell(rows, target, scenario, connections), cell(rows, ref, scenario, connections)]).filter(([g, p]) => g && p);
    if (!pairs.length) continue;
    const g = (k) => median(pairs.map(([x]) => x[k]));
    const p = (k) => median(pairs.map(([, y]) => y[k]));
    const rps = median(pairs.map(([x, y]) => x.rps / y.rps));
    const cpu = median(pairs.map(([x, y]) => y.serverCpuUsPerOp / x.serverCpuUsPerOp));
    console.log(
      `| ${scenario} | ${connections} | ${target} | ${fmt(g('rps'))} | ${fmt(g('serverCpuUsPerOp'))} | ${fmt(g('p99ms'), 1)} | ${ref} | ${fmt(p('rps'))} | ${fmt(p('serverCpuUsPerOp'))} | ${fmt(rps, 2)}× | ${fmt(cpu, 2)}× |`,
    );
  }
}
const rss = new Map();
for (const rows of rounds) for (const r of rows) rss.set(r.target, Math.max(rss.get(r.target) ?? 0, r.peakRssMB ?? 0));
console.log(`\nPeak RSS over all rounds (MB): ${[...rss].map(([t, m]) => `${t} ${fmt(m)}`).join(', ')}`);
