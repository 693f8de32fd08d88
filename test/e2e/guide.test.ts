/**
 * Runs docs/GUIDE.md: every ```sh block in order, in one bash session, against a fresh `gatehouse serve`.
 * The ```json or ```text block after each one is the documented output; "…" matches any text and, in JSON,
 * the number 0 matches any number. Key sets must match exactly, so a new or missing field fails the test.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeployment, type Deployment } from '../helpers/server.js';

interface Step {
  code: string;
  expected?: { lang: 'json' | 'text'; body: string };
}

function steps(markdown: string): Step[] {
  const out: Step[] = [];
  for (const m of markdown.matchAll(/```(\w+)\n([\s\S]*?)```/g)) {
    const [, lang, body] = m;
    if (lang === 'sh') out.push({ code: body! });
    else if ((lang === 'json' || lang === 'text') && out.length && !out[out.length - 1]!.expected) {
      out[out.length - 1]!.expected = { lang, body: body!.trimEnd() };
    }
  }
  return out;
}

const pattern = (doc: string) => new RegExp(`^${doc.split('…').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's');

function matchJson(doc: unknown, actual: unknown, path: string): string | undefined {
  if (typeof doc === 'string') return typeof actual === 'string' && pattern(doc).test(actual) ? undefined : `${path}: ${JSON.stringify(actual)} does not match ${JSON.stringify(doc)}`;
  if (doc === 0) return typeof actual === 'number' ? undefined : `${path}: expected a number`;
  if (Array.isArray(doc)) {
    if (!Array.isArray(actual) || actual.length !== doc.length) return `${path}: expected an array of ${doc.length}`;
    for (let i = 0; i < doc.length; i++) {
      const e = matchJson(doc[i], actual[i], `${path}[${i}]`);
      if (e) return e;
    }
    return undefined;
  }
  if (doc && typeof doc === 'object') {
    if (!actual || typeof actual !== 'object' || Array.isArray(actual)) return `${path}: expected an object`;
    const a = Object.keys(actual).sort().join(',');
    const d = Object.keys(doc).sort().join(',');
    if (a !== d) return `${path}: keys ${a} differ from documented ${d}`;
    for (const k of Object.keys(doc)) {
      const e = matchJson((doc as Record<string, unknown>)[k], (actual as Record<string, unknown>)[k], `${path}.${k}`);
      if (e) return e;
    }
    return undefined;
  }
  return doc === actual ? undefined : `${path}: ${JSON.stringify(actual)} !== ${JSON.stringify(doc)}`;
}

describe('docs/GUIDE.md runs as written', () => {
  let dep: Deployment;
  beforeAll(async () => {
    dep = await createDeployment('sqlite', { server: { logLevel: 'warn' } });
    await dep.serve();
  });
  afterAll(async () => dep?.cleanup());

  // The guide is one long script: give it the time the script itself may take (spawnSync's timeout below).
  it('every sh block succeeds and prints what the guide shows', { timeout: 180_000 }, () => {
    const all = steps(readFileSync('docs/GUIDE.md', 'utf8'));
    expect(all.length).toBeGreaterThan(15);
    const work = mkdtempSync(join(tmpdir(), 'gatehouse-guide-'));
    symlinkSync(resolve('bin'), join(work, 'bin'));
    const script = ['set -euo pipefail', ...all.flatMap((s, i) => [`echo "@@STEP ${i}@@"`, s.code]), 'echo "@@END@@"'].join('\n');
    const run = spawnSync('bash', ['-c', script], {
      cwd: work,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, GH: dep.issuer, GATEHOUSE_CONFIG: dep.configPath },
    });
    const stdout = run.stdout ?? '';
    expect(stdout, `the guide stopped early:\n${run.stderr}\n${stdout.slice(-2000)}`).toContain('@@END@@');
    const outputs = stdout.split(/@@STEP \d+@@\n/).slice(1);
    outputs[outputs.length - 1] = outputs[outputs.length - 1]!.replace(/@@END@@\n?$/, '');
    all.forEach((step, i) => {
      const got = (outputs[i] ?? '').trimEnd();
      if (!step.expected) return;
      const where = `step ${i}:\n${step.code}\n--- output ---\n${got}`;
      if (step.expected.lang === 'json') {
        let actual: unknown;
        expect(() => (actual = JSON.parse(got)), where).not.toThrow();
        expect(matchJson(JSON.parse(step.expected.body), actual, '$'), where).toBeUndefined();
      } else {
        const doc = step.expected.body.split('\n');
        const lines = got.split('\n');
        expect(lines.length, where).toBe(doc.length);
        doc.forEach((d, j) => expect(pattern(d).test(lines[j]!), `${where}\nline ${j}: ${lines[j]} vs ${d}`).toBe(true));
      }
    });
  });
});
