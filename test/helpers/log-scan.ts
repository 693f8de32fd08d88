import { appendFileSync, mkdirSync } from 'node:fs';

/**
 * The log-secret scan (issue 10): every secret, code, token and password a test creates or obtains is remembered
 * here, and every server process's output is searched for each of them when its deployment is cleaned up. A hit
 * fails the run: credentials must never reach a log, not even inside a logged URL or a Basic header.
 *
 * The registry is per process on purpose: vitest runs test files in parallel forks, and each file's servers are
 * scanned for the secrets that file created.
 */

/** Shorter values (a scope, a port) would match by accident; every real credential here is longer. */
const MIN_LENGTH = 8;

const secrets = new Set<string>();

/** Remembers a credential so that no server log may contain it. Non-strings and short values are ignored. */
export function rememberSecret(value: unknown): void {
  if (typeof value === 'string' && value.length >= MIN_LENGTH) secrets.add(value);
}

/** Remembers the credentials in a token, registration or CLI response (by their RFC 6749/7591 field names). */
export function rememberSecretsIn(body: unknown): void {
  if (!body || typeof body !== 'object') return;
  for (const key of ['access_token', 'refresh_token', 'id_token', 'client_secret', 'registration_access_token', 'token', 'code']) {
    rememberSecret((body as Record<string, unknown>)[key]);
  }
}

export function rememberedSecrets(): readonly string[] {
  return [...secrets];
}

/** How a value can appear in a log line: raw, URL-encoded (both space forms), JSON-escaped, base64 (Basic). */
export function secretForms(secret: string): string[] {
  const forms = new Set([secret, encodeURIComponent(secret), encodeURIComponent(secret).replace(/%20/g, '+'), JSON.stringify(secret).slice(1, -1)]);
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  // RFC 6749 §2.3.1: Basic carries form-encoded id:secret; any id prefix, so the secret's own base64 run is searched
  // at each of the three byte alignments (a base64 substring only matches when the alignment matches).
  for (const enc of [secret, encodeURIComponent(secret).replace(/%20/g, '+')]) {
    for (let pad = 0; pad < 3; pad++) {
      const full = b64(`${'\0'.repeat(pad)}${enc}`);
      // Drop the characters that depend on the (unknown) bytes before and after the secret.
      const start = pad === 0 ? 0 : Math.ceil((pad * 4) / 3);
      const inner = full.slice(start, full.length - 4);
      if (inner.length >= MIN_LENGTH) forms.add(inner);
    }
  }
  return [...forms];
}

export interface LogHit {
  source: string;
  secret: string;
  form: string;
  line: string;
}

/** Every line of `output` that contains a remembered secret in any of its forms. */
export function scanForSecrets(output: string, source: string, values: readonly string[] = rememberedSecrets()): LogHit[] {
  const hits: LogHit[] = [];
  const lines = output.split('\n');
  for (const secret of values) {
    for (const form of secretForms(secret)) {
      const line = lines.find((l) => l.includes(form));
      if (line !== undefined) {
        hits.push({ source, secret: `${secret.slice(0, 6)}…(${secret.length})`, form: form === secret ? 'raw' : 'encoded', line: line.slice(0, 300) });
        break;
      }
    }
  }
  return hits;
}

let totalHits = 0;
let scannedProcesses = 0;

/** Scans the output of server processes and throws, listing the lines, when any secret was logged. */
export function assertNoSecretsLogged(outputs: Array<{ source: string; output: string }>): void {
  const hits = outputs.flatMap((o) => scanForSecrets(o.output, o.source));
  scannedProcesses += outputs.length;
  totalHits += hits.length;
  // One line per scan, so the suite's figures (processes scanned, secrets searched, hits) can be added up.
  mkdirSync('test-artifacts', { recursive: true });
  appendFileSync('test-artifacts/log-scan.jsonl', `${JSON.stringify({ pid: process.pid, processes: outputs.length, secrets: secrets.size, hits: hits.length })}\n`);
  if (hits.length > 0) {
    throw new Error(`log-secret scan: ${hits.length} secret(s) found in server output:\n${hits.map((h) => `  [${h.source}] ${h.secret} (${h.form}): ${h.line}`).join('\n')}`);
  }
}

/** Figures for the suite's report: processes scanned and hits, in this test process. */
export function logScanFigures(): { processes: number; secrets: number; hits: number } {
  return { processes: scannedProcesses, secrets: secrets.size, hits: totalHits };
}
