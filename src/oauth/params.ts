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

/**
 * Parameters whose values are identifiers, URIs or tokens: no control character at all, not even TAB/LF/CR
 * (RFC 3986 §2 has no place for them; RFC 6749 Appendix A limits most values to visible characters).
 */
const STRICT_KEY = /(^|_)(id|ids|uri|uris|type|types|method|hint|token|code|challenge|verifier|assertion|scope|mode|prompt|resource|username|kid|kty|alg|use)$/;

// eslint-disable-next-line no-control-regex
const ANY_CONTROL = /[\u0000-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex
const FREE_TEXT_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/**
 * Finds the first value a request must not carry: NUL anywhere (PostgreSQL text cannot hold it), any other
 * C0 control or DEL in a key, a path parameter or an identifier/URI value, and C0 controls other than TAB, LF
 * and CR in free text. `strict` marks a source whose every value is an identifier (path parameters). Walks
 * nested JSON without recursion, so a deeply nested body cannot exhaust the stack. Returns the offending
 * key's name (empty when the key itself is bad), or undefined when the input is clean.
 */
export function controlCharacterProblem(input: unknown, strict = false): string | undefined {
  const stack: Array<{ key: string; value: unknown; strict: boolean }> = [{ key: '', value: input, strict }];
  while (stack.length > 0) {
    const { key, value, strict: strictHere } = stack.pop()!;
    if (typeof value === 'string') {
      if ((strictHere ? ANY_CONTROL : FREE_TEXT_CONTROL).test(value)) return key;
    } else if (Array.isArray(value)) {
      for (const v of value) stack.push({ key, value: v, strict: strictHere });
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        if (ANY_CONTROL.test(k)) return '';
        stack.push({ key: k, value: v, strict: strictHere || STRICT_KEY.test(k) });
      }
    }
  }
  return undefined;
}
