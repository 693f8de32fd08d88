/**
 * RFC 8693 token exchange: what an exchanged token may be, decided from the validated subject token (and
 * actor token) and the requesting client. Pure: no I/O. The issued token is never wider than the subject:
 * scope ⊆ subject scope, expiry ≤ subject expiry, audience one of the client's registered resources.
 *
 * Per-client policy (kept small on purpose, docs/SECURITY.md): a client may exchange only when it has the
 * token-exchange grant type registered, and may target only its registered `resources` (RFC 8707) or the
 * server's default audience. Delegation (actor_token) needs no extra flag: the actor token must itself be
 * valid, and a subject token carrying `may_act` must name the actor (§4.4).
 */
import { InvalidRequest, InvalidScope, InvalidTarget } from '../oauth/errors.js';

/** The claims of a validated subject or actor token that the policy reads. */
export interface ValidatedToken {
  sub: string;
  iss: string;
  exp: number;
  /** The token's audiences (an ID token's is the client it was issued to). */
  aud: string[];
  /** The client an access token was issued to. */
  clientId?: string | undefined;
  scope: string[];
  act?: Record<string, unknown> | undefined;
  mayAct?: Record<string, unknown> | undefined;
}

export interface ExchangeRequest {
  scope: string[];
  audience: string | undefined;
  resource: string | undefined;
}

export interface ExchangeDecision {
  scope: string[];
  aud: string;
  /** Seconds from now the issued token lives. */
  ttl: number;
  act?: Record<string, unknown>;
}

export interface PolicyInput {
  subject: ValidatedToken;
  actor?: ValidatedToken | undefined;
  request: ExchangeRequest;
  /** The exchanging client. */
  clientId: string;
  allowedAudiences: readonly string[];
  defaultAudience: string;
  now: number;
  maxTtl: number;
}

export function decideExchange(input: PolicyInput): ExchangeDecision {
  const { subject, actor, request } = input;
  // The subject token must be this client's own, or addressed to it (issued for it, or for one of its
  // resources): a client cannot launder a token it merely intercepted (the introspection rule, docs/SECURITY.md).
  const holder = subject.clientId === input.clientId || subject.aud.includes(input.clientId) || subject.aud.some((a) => input.allowedAudiences.includes(a));
  if (!holder) throw new InvalidRequest('the subject_token was not issued to or for this client');
  // §2.1: scope narrows; every requested scope must be in the subject token's scope.
  const denied = request.scope.filter((s) => !subject.scope.includes(s));
  if (denied.length) throw new InvalidScope(`scope wider than the subject token: ${denied.join(' ')}`);
  const scope = request.scope.length ? request.scope : subject.scope;
  const aud = chooseAudience(request, input.allowedAudiences, input.defaultAudience);
  const ttl = Math.min(input.maxTtl, subject.exp - input.now);
  if (ttl <= 0) throw new InvalidRequest('the subject token has expired');
  const decision: ExchangeDecision = { scope, aud, ttl };
  if (actor) {
    // §4.4: may_act names who may act for the subject; anyone else is refused.
    if (subject.mayAct && !matchesActor(subject.mayAct, actor)) {
      throw new InvalidRequest('the actor is not allowed to act for the subject (may_act)');
    }
    // §4.1: the current actor on top, prior actors nested below it.
    decision.act = { sub: actor.sub, iss: actor.iss, ...(subject.act ? { act: subject.act } : {}) };
  }
  return decision;
}

function chooseAudience(request: ExchangeRequest, allowed: readonly string[], fallback: string): string {
  const targets = [request.resource, request.audience].filter((t): t is string => t !== undefined);
  if (request.resource !== undefined && (!URL.canParse(request.resource) || request.resource.includes('#'))) {
    throw new InvalidRequest('resource must be an absolute URI without fragment');
  }
  if (targets.length === 2 && targets[0] !== targets[1]) throw new InvalidTarget('audience and resource name different targets');
  const target = targets[0];
  if (target === undefined) return fallback;
  // §2.2.2: an unacceptable target is invalid_target.
  if (!allowed.includes(target)) throw new InvalidTarget('the requested audience is not allowed for this client');
  return target;
}

function matchesActor(mayAct: Record<string, unknown>, actor: ValidatedToken): boolean {
  if (mayAct['sub'] !== undefined && mayAct['sub'] !== actor.sub) return false;
  if (mayAct['iss'] !== undefined && mayAct['iss'] !== actor.iss) return false;
  return mayAct['sub'] !== undefined || mayAct['iss'] !== undefined;
}
