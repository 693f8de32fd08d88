/**
 * Which claims a client receives (OpenID Connect Core §5.4, §5.5): those of the granted scopes (at userinfo, or
 * in the ID token when no access token is issued) plus those the `claims` parameter names for that place.
 * A claim the user has no value for is left out; a requested `value`/`values` the user's value does not
 * match is left out too (the user's actual value is not disclosed in its place).
 */
import type { User } from '../accounts/user.store.js';
import { SCOPE_CLAIMS } from './catalogue.js';
import type { ClaimsMember } from './claims-request.js';

/** Every standard claim the user has a value for, with its JSON type (§5.1). */
export function userClaimValues(user: User): Record<string, unknown> {
  const v: Record<string, unknown> = {};
  if (user.name) v['name'] = user.name;
  if (user.givenName) v['given_name'] = user.givenName;
  if (user.familyName) v['family_name'] = user.familyName;
  Object.assign(v, user.profileClaims ?? {});
  v['updated_at'] = user.updatedAt;
  v['email'] = user.email;
  v['email_verified'] = user.emailVerified;
  return v;
}

function matches(spec: ClaimsMember[string], actual: unknown): boolean {
  if (!spec) return true;
  const same = (x: unknown) => JSON.stringify(x) === JSON.stringify(actual);
  if (spec.value !== undefined && !same(spec.value)) return false;
  if (spec.values !== undefined && !spec.values.some(same)) return false;
  return true;
}

export interface ReleaseInput {
  scopes: readonly string[];
  /** Whether the scope claims go here (userinfo: yes; ID token: only when no access token is issued). */
  scopeClaims: boolean;
  requested: ClaimsMember | undefined;
}

/** The user claims to release (without `sub`, which the caller sets). */
export function releaseClaims(user: User, input: ReleaseInput): Record<string, unknown> {
  const values = userClaimValues(user);
  const out: Record<string, unknown> = {};
  if (input.scopeClaims) {
    for (const scope of input.scopes) {
      for (const name of SCOPE_CLAIMS[scope] ?? []) if (values[name] !== undefined) out[name] = values[name];
    }
  }
  for (const [name, spec] of Object.entries(input.requested ?? {})) {
    if (values[name] === undefined) continue;
    if (!matches(spec, values[name])) {
      delete out[name];
      continue;
    }
    out[name] = values[name];
  }
  return out;
}
