import { InvalidRequest } from './errors.js';

/** A parsed form body: a repeated key keeps every value so duplicates can be refused. */
export type FormBody = Record<string, string | string[]>;

export function parseForm(text: string): FormBody {
  const out: FormBody = {};
  for (const [k, v] of new URLSearchParams(text)) {
    const seen = out[k];
    if (seen === undefined) out[k] = v;
    else out[k] = Array.isArray(seen) ? [...seen, v] : [seen, v];
  }
  return out;
}

/**
 * RFC 6749 §3.1 / §3.2: request parameters must not be included more than once. Empty values count as absent
 * (§3.1: "parameters sent without a value MUST be treated as if they were omitted").
 */
export function singleValued(body: unknown): Record<string, string> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object') throw new InvalidRequest('the request body must be application/x-www-form-urlencoded');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body as FormBody)) {
    if (Array.isArray(v)) throw new InvalidRequest(`parameter ${k} is repeated`);
    if (typeof v !== 'string') throw new InvalidRequest(`parameter ${k} is malformed`);
    if (v !== '') out[k] = v;
  }
  return out;
}
