/** Small HTTP helpers for black-box tests: form posts and Basic credentials, nothing else. */
import { rememberSecretsIn } from './log-scan.js';

export function basic(id: string, secret: string): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')}`;
}

export async function postForm(url: string, form: Record<string, string> | string, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: typeof form === 'string' ? form : new URLSearchParams(form).toString(),
  });
  const text = await res.text();
  let json: Record<string, unknown>;
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    json = { raw: text };
  }
  rememberSecretsIn(json); // tokens and secrets a test obtains may appear in no server log (log-scan.ts)
  return { status: res.status, headers: res.headers, json };
}

export async function json(url: string, init: RequestInit & { body?: string } = {}) {
  const headers = { ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...(init.headers as Record<string, string>) };
  const res = await fetch(url, { ...init, headers });
  const text = await res.text();
  const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  rememberSecretsIn(body);
  return { status: res.status, headers: res.headers, json: body };
}
