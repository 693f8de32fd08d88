/**
 * RFC 8693 §2.1: validating a subject_token or actor_token of a given type. Only our own tokens are accepted:
 * access tokens (JWT or opaque, verified with our keys or store: not expired, not revoked, grant live) and ID
 * tokens (signed by us, not expired). Anything else is invalid_request (§2.2.2).
 */
import { InvalidRequest } from '../oauth/errors.js';
import { ACCESS_TOKEN_TYPE, ID_TOKEN_TYPE, INPUT_TOKEN_TYPES } from './token-types.js';
import type { ValidatedToken } from './exchange-policy.js';

type Claims = Record<string, unknown>;

/** How our tokens are checked (the token service's verification, passed in). */
export interface OwnTokenVerifier {
  accessToken(token: string): Promise<Claims | undefined>;
  idToken(token: string): Promise<Claims | undefined>;
}

export async function validateToken(verifier: OwnTokenVerifier, role: 'subject' | 'actor', token: string | undefined, type: string | undefined): Promise<ValidatedToken> {
  if (!token) throw new InvalidRequest(`${role}_token is required`);
  if (!type) throw new InvalidRequest(`${role}_token_type is required`);
  if (!INPUT_TOKEN_TYPES.includes(type)) throw new InvalidRequest(`${role}_token_type ${type} is not supported`);
  const claims = type === ACCESS_TOKEN_TYPE ? await verifier.accessToken(token) : type === ID_TOKEN_TYPE ? await verifier.idToken(token) : undefined;
  if (!claims) throw new InvalidRequest(`the ${role}_token is invalid, expired or revoked`);
  const { sub, iss, exp, scope, act, may_act: mayAct, aud, client_id: clientId } = claims;
  if (typeof sub !== 'string' || typeof iss !== 'string' || typeof exp !== 'number') throw new InvalidRequest(`the ${role}_token is invalid`);
  return {
    sub,
    iss,
    exp,
    aud: typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud.filter((a): a is string => typeof a === 'string') : [],
    clientId: typeof clientId === 'string' ? clientId : undefined,
    scope: typeof scope === 'string' && scope ? scope.split(' ') : [],
    act: isObject(act) ? act : undefined,
    mayAct: isObject(mayAct) ? mayAct : undefined,
  };
}

const isObject = (v: unknown): v is Claims => typeof v === 'object' && v !== null && !Array.isArray(v);
