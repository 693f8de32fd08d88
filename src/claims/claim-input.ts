/**
 * Validation of standard claim values set by an operator (CLI, admin API): types, lengths and formats of
 * OpenID Connect Core §5.1. A bad value is an InvalidRequest naming the claim; `null` clears a claim.
 */
import { InvalidRequest } from '../oauth/errors.js';
import { ADDRESS_FIELDS, PROFILE_CLAIM_NAMES, type AddressClaim, type ProfileClaims } from './catalogue.js';

const MAX = 255;
const URL_CLAIMS = new Set(['profile', 'picture', 'website']);
/** E.164 with the readable separators §5.1 shows (`+1 (425) 555-1212`), and an optional `;ext=` extension. */
const PHONE = /^\+?[0-9][0-9 ().-]{2,30}(;ext=[0-9]{1,10})?$/;
/** §5.1: YYYY, or YYYY-MM-DD (0000 when the year is withheld). */
const BIRTHDATE = /^(\d{4})(?:-(\d{2})-(\d{2}))?$/;

/** Changes to a user's standard claims: a value sets, `null` clears. */
export interface ClaimChanges {
  name?: string | null;
  given_name?: string | null;
  family_name?: string | null;
  profile: { [K in keyof ProfileClaims]?: ProfileClaims[K] | null };
}

/** Names an operator may set: the §5.1 claims except sub, email, email_verified (own fields) and updated_at. */
export const SETTABLE_CLAIMS = ['name', 'given_name', 'family_name', ...PROFILE_CLAIM_NAMES] as const;

function str(name: string, v: unknown, max = MAX): string {
  if (typeof v !== 'string') throw new InvalidRequest(`${name}: must be a string`);
  const s = v.trim();
  if (s.length === 0) throw new InvalidRequest(`${name}: must not be empty (send null to clear it)`);
  if (s.length > max) throw new InvalidRequest(`${name}: must be at most ${max} characters`);
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused here
  if (/[\u0000-\u001f\u007f]/.test(s) && name !== 'address.formatted' && name !== 'address.street_address') {
    throw new InvalidRequest(`${name}: must not contain control characters`);
  }
  return s;
}

function validDate(y: number, m: number, d: number): boolean {
  const date = new Date(Date.UTC(y === 0 ? 2000 : y, m - 1, d));
  return date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

function value(name: string, v: unknown): unknown {
  if (name === 'phone_number_verified') {
    if (typeof v !== 'boolean') throw new InvalidRequest(`${name}: must be true or false`);
    return v;
  }
  if (name === 'address') return address(v);
  const s = str(name, v);
  if (URL_CLAIMS.has(name)) {
    const ok = URL.canParse(s) && ['https:', 'http:'].includes(new URL(s).protocol);
    if (!ok) throw new InvalidRequest(`${name}: must be an http(s) URL`);
  } else if (name === 'phone_number') {
    if (!PHONE.test(s)) throw new InvalidRequest(`${name}: must be a phone number in E.164 form, e.g. +1 (425) 555-1212`);
  } else if (name === 'birthdate') {
    const m = BIRTHDATE.exec(s);
    if (!m || (m[2] !== undefined && !validDate(Number(m[1]), Number(m[2]), Number(m[3])))) {
      throw new InvalidRequest(`${name}: must be YYYY or YYYY-MM-DD`);
    }
  } else if (name === 'zoneinfo') {
    try {
      new Intl.DateTimeFormat('en', { timeZone: s });
    } catch {
      throw new InvalidRequest(`${name}: must be a time zone of the tz database, e.g. Europe/Paris`);
    }
  } else if (name === 'locale') {
    try {
      if (Intl.getCanonicalLocales(s.replace('_', '-')).length !== 1) throw new Error('no locale');
    } catch {
      throw new InvalidRequest(`${name}: must be a BCP47 language tag, e.g. en-US`);
    }
  }
  return s;
}

function address(v: unknown): AddressClaim {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new InvalidRequest('address: must be an object');
  const out: AddressClaim = {};
  for (const [k, x] of Object.entries(v)) {
    if (!(ADDRESS_FIELDS as readonly string[]).includes(k)) {
      throw new InvalidRequest(`address: unknown member ${k.slice(0, 40)} (allowed: ${ADDRESS_FIELDS.join(', ')})`);
    }
    if (x === null || x === undefined) continue;
    out[k as keyof AddressClaim] = str(`address.${k}`, x, k === 'formatted' ? 1000 : MAX);
  }
  if (Object.keys(out).length === 0) throw new InvalidRequest('address: must have at least one member (send null to clear it)');
  return out;
}

/**
 * Reads the standard claims of an input object (an admin request body, the CLI's --claim pairs); members
 * that are not settable claims are left to the caller.
 */
export function parseClaimChanges(input: Record<string, unknown>): ClaimChanges {
  const changes: ClaimChanges = { profile: {} };
  for (const name of SETTABLE_CLAIMS) {
    if (!(name in input) || input[name] === undefined) continue;
    const v = input[name];
    const parsed = v === null ? null : value(name, v);
    if (name === 'name' || name === 'given_name' || name === 'family_name') changes[name] = parsed as string | null;
    else (changes.profile as Record<string, unknown>)[name] = parsed;
  }
  return changes;
}

/** True when the changes change nothing. */
export function isEmpty(c: ClaimChanges): boolean {
  return c.name === undefined && c.given_name === undefined && c.family_name === undefined && Object.keys(c.profile).length === 0;
}

/** Applies profile changes to stored profile claims (null removes). */
export function applyProfile(current: ProfileClaims, changes: ClaimChanges['profile']): ProfileClaims {
  const next: Record<string, unknown> = { ...current };
  for (const [k, v] of Object.entries(changes)) {
    if (v === null) delete next[k];
    else next[k] = v;
  }
  return next as ProfileClaims;
}

/**
 * The CLI form: `name=Value`, `address.locality=Berlin`, `phone_number_verified=true`, `nickname=` (clears).
 */
export function claimPairs(pairs: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new InvalidRequest(`--claim ${pair}: expected name=value`);
    const key = pair.slice(0, eq);
    const raw = pair.slice(eq + 1);
    const base = key.startsWith('address.') ? 'address' : key;
    if (!(SETTABLE_CLAIMS as readonly string[]).includes(base)) throw new InvalidRequest(`--claim ${key}: not a settable standard claim`);
    if (key.startsWith('address.')) {
      const addr = (out['address'] ??= {}) as Record<string, unknown>;
      addr[key.slice('address.'.length)] = raw === '' ? null : raw;
    } else if (key === 'phone_number_verified') {
      if (raw !== 'true' && raw !== 'false') throw new InvalidRequest('phone_number_verified: must be true or false');
      out[key] = raw === 'true';
    } else {
      out[key] = raw === '' ? null : raw;
    }
  }
  return out;
}
