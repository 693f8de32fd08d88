/**
 * RFC 8693 §2.1: validating a subject_token or actor_token of a given type: our own access tokens (JWT or
 * opaque, verified with our keys or store: not expired, not revoked, grant live) and ID tokens (signed by us, not
 * expired); and JWTs of issuers an operator trusts (trusted-issuers.ts), within that issuer's policy. Anything
 * else is invalid_request (§2.2.2).
 */
import { InvalidRequest } from '../oauth/errors.js';
import { ACCESS_TOKEN_TYPE, ID_TOKEN_TYPE, JWT_TOKEN_TYPE, OWN_TOKEN_TYPES } from './token-types.js';
import type { ValidatedToken } from './exchange-policy.js';
import type { TrustedJwt } from './trusted-issuers.js';

type Claims = Record<string, unknown>;

/** How presented tokens are checked (the token service's verification, passed in). */
export interface OwnTokenVerifier {
  accessToken(token: string): Promise<Claims | undefined>;
  idToken(token: string): Promise<Claims | undefined>;
  /** JWTs of trusted issuers; absent when none is configured (then the jwt type is not supported). */
  trustedJwt?: ((token: string) => Promise<TrustedJwt | undefined>) | undefined;
}

/** The client presenting the token, and how it sees a local user. */
export interface Presenter {
  clientId: string;
  subjectFor(userId: string): string;
}

export async function validateToken(
  verifier: OwnTokenVerifier,
  role: 'subject' | 'actor',
  token: string | undefined,
  type: string | undefined,
  presenter: Presenter,
): Promise<ValidatedToken> {
  if (!token) throw new InvalidRequest(`${role}_token is required`);
  if (!type) throw new InvalidRequest(`${role}_token_type is required`);
  if (type === JWT_TOKEN_TYPE && verifier.trustedJwt) return trusted(await verifier.trustedJwt(token), role, presenter);
  if (!OWN_TOKEN_TYPES.includes(type)) throw new InvalidRequest(`${role}_token_type ${type} is not supported`);
  const claims = type === ACCESS_TOKEN_TYPE ? await verifier.accessToken(token) : type === ID_TOKEN_TYPE ? await verifier.idToken(token) : undefined;
  if (!claims) throw new InvalidRequest(`the ${role}_token is invalid, expired or revoked`);
  const { sub, iss, exp, scope, aud, client_id: clientId } = claims;
  if (typeof sub !== 'string' || typeof iss !== 'string' || typeof exp !== 'number') throw new InvalidRequest(`the ${role}_token is invalid`);
  return { sub, iss, exp, aud: audiences(aud), clientId: typeof clientId === 'string' ? clientId : undefined, scope: scopes(scope), ...delegation(claims) };
}

/**
 * A trusted issuer's token, under the operator's policy for that issuer: only its listed clients may present
 * it, its scope is cut to the issuer's scopes, and as a subject it stands for the local user its `sub` is
 * linked to (an actor is only named in `act`, so it keeps the issuer's `sub`).
 */
function trusted(verified: TrustedJwt | undefined, role: 'subject' | 'actor', presenter: Presenter): ValidatedToken {
  if (!verified) throw new InvalidRequest(`the ${role}_token is not a valid token of a trusted issuer`);
  const { claims, issuer, userId } = verified;
  if (!issuer.clients.includes(presenter.clientId)) throw new InvalidRequest(`this client may not present tokens of ${issuer.issuer}`);
  let sub = claims['sub'] as string;
  if (role === 'subject') {
    if (!userId) throw new InvalidRequest(`the subject_token's subject is not linked to an account here`);
    sub = presenter.subjectFor(userId);
  }
  const scope = scopes(claims['scope'] ?? claims['scp']).filter((s) => issuer.scopes.includes(s));
  return { sub, iss: issuer.issuer, exp: claims['exp'] as number, aud: audiences(claims['aud']), clientId: presenter.clientId, scope, ...delegation(claims) };
}

function audiences(aud: unknown): string[] {
  return typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud.filter((a): a is string => typeof a === 'string') : [];
}

/** `scope` as a space-separated string, or `scp` as an array (a common JWT access token shape). */
function scopes(scope: unknown): string[] {
  if (typeof scope === 'string') return scope ? scope.split(' ') : [];
  return Array.isArray(scope) ? scope.filter((s): s is string => typeof s === 'string') : [];
}

function delegation(claims: Claims): Pick<ValidatedToken, 'act' | 'mayAct'> {
  const { act, may_act: mayAct } = claims;
  return { act: isObject(act) ? act : undefined, mayAct: isObject(mayAct) ? mayAct : undefined };
}

const isObject = (v: unknown): v is Claims => typeof v === 'object' && v !== null && !Array.isArray(v);
