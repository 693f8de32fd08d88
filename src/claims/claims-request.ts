/**
 * The `claims` request parameter (OpenID Connect Core §5.5): which claims the client asks for in the ID token
 * and at userinfo, each `null` (voluntary) or `{ essential, value, values }`. Parsed once at the authorization
 * endpoint into a normalized form that travels with the authorization (code → grant → refresh).
 */
import { InvalidRequest } from '../oauth/errors.js';
import { ID_TOKEN_CLAIMS, SCOPE_CLAIMS, STANDARD_CLAIMS } from './catalogue.js';

export interface ClaimSpec {
  essential?: boolean;
  value?: unknown;
  values?: unknown[];
}

export type ClaimsMember = Record<string, ClaimSpec | null>;

export interface ClaimsRequest {
  userinfo?: ClaimsMember;
  id_token?: ClaimsMember;
}

/** Claims a request may name: the user's claims, `sub`, and `acr` (§5.5.1.1). Anything else is ignored. */
const KNOWN = new Set<string>([...STANDARD_CLAIMS, 'sub', 'acr', ...ID_TOKEN_CLAIMS]);
const MAX_VALUES = 32;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function member(name: string, raw: unknown): ClaimsMember | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isObject(raw)) throw new InvalidRequest(`claims: ${name} must be a JSON object`);
  const out: ClaimsMember = {};
  for (const [claim, spec] of Object.entries(raw)) {
    if (!KNOWN.has(claim)) continue;
    if (spec === null) {
      out[claim] = null;
      continue;
    }
    if (!isObject(spec)) throw new InvalidRequest(`claims: ${name}.${claim} must be null or a JSON object`);
    const s: ClaimSpec = {};
    if (spec['essential'] !== undefined) {
      if (typeof spec['essential'] !== 'boolean') throw new InvalidRequest(`claims: ${name}.${claim}.essential must be a boolean`);
      s.essential = spec['essential'];
    }
    if (spec['value'] !== undefined) s.value = spec['value'];
    if (spec['values'] !== undefined) {
      if (!Array.isArray(spec['values']) || spec['values'].length > MAX_VALUES) {
        throw new InvalidRequest(`claims: ${name}.${claim}.values must be an array of at most ${MAX_VALUES} values`);
      }
      s.values = spec['values'];
    }
    out[claim] = s;
  }
  return out;
}

/** Parses the parameter; malformed JSON or shapes are invalid_request. */
export function parseClaimsRequest(raw: string): ClaimsRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new InvalidRequest('claims must be a JSON object');
  }
  if (!isObject(parsed)) throw new InvalidRequest('claims must be a JSON object');
  const out: ClaimsRequest = {};
  const userinfo = member('userinfo', parsed['userinfo']);
  const idToken = member('id_token', parsed['id_token']);
  if (userinfo) out.userinfo = userinfo;
  if (idToken) out.id_token = idToken;
  return out;
}

/**
 * §5.5.1.1: an essential `acr` with `values` must be answered with one of them, else the authentication
 * failed. Gatehouse asserts no acr, so it can never meet such a request; true when the request demands it.
 */
export function demandsUnmetAcr(request: ClaimsRequest | null): boolean {
  return [request?.id_token?.['acr'], request?.userinfo?.['acr']].some(
    (s) => s?.essential === true && (s.values !== undefined || s.value !== undefined),
  );
}

/**
 * The user claims a request names beyond those its scopes release: the person is asked about them on the
 * consent page (a stored consent covers scopes only, so such a request always shows it).
 */
export function claimsBeyondScopes(request: ClaimsRequest | null, scopes: readonly string[]): string[] {
  if (!request) return [];
  const covered = new Set(scopes.flatMap((s) => SCOPE_CLAIMS[s] ?? []));
  const named = [...Object.keys(request.userinfo ?? {}), ...Object.keys(request.id_token ?? {})];
  return [...new Set(named.filter((c) => STANDARD_CLAIMS.includes(c) && !covered.has(c)))];
}
