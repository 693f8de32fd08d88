/**
 * The admin API's gate, run on every admin request. The bearer token must be one of ours carrying `admin`, and
 * then authority comes from the server's records now (projects/authority.ts): the person's current memberships
 * (a role removed takes effect on the next request, whatever the token says), or, for a client_credentials
 * token, the client's own project while the client still holds the `admin` scope.
 */
import type { FastifyRequest } from 'fastify';
import type { Container } from '../app.js';
import { InsufficientScope, InvalidRequest, InvalidToken } from '../oauth/errors.js';
import { administersAnything, type Actor, type Authority } from '../projects/authority.js';
import { ProjectErrors } from '../projects/errors.js';
import { bearerToken } from './bearer.js';
import { certificateSource } from './client-certificate.js';
import { presentsBoundCertificate } from '../mtls/binding.js';

const authorities = new WeakMap<FastifyRequest, Authority>();

/** The authority the gate computed for this request. */
export function requestAuthority(request: FastifyRequest): Authority {
  const a = authorities.get(request);
  if (!a) throw ProjectErrors.insufficientPermissions();
  return a;
}

export function requireAdmin(c: Container) {
  const certificateOf = certificateSource(c.config.server);
  return async (request: FastifyRequest) => {
    const token = bearerToken(request);
    const claims = token ? await c.tokens.verifyAccessToken(token) : undefined;
    if (!claims || typeof claims.sub !== 'string') throw new InvalidToken('a valid bearer access token is required');
    // RFC 8705 §3: a certificate-bound token only with its certificate.
    if (!presentsBoundCertificate(claims['cnf'], certificateOf(request))) throw new InvalidToken('the token is bound to another client certificate');
    const scopes = typeof claims['scope'] === 'string' ? claims['scope'].split(' ') : [];
    if (!scopes.includes('admin')) throw new InsufficientScope('admin');
    let actor: Actor;
    // client_credentials tokens name the client as their subject and carry no auth_time (token/grants).
    if (claims.sub === claims['client_id'] && claims['auth_time'] === undefined) {
      const client = await c.clients.find(claims.sub);
      if (!client || !client.scopes.includes('admin') || !client.grantTypes.includes('client_credentials')) {
        throw ProjectErrors.insufficientPermissions();
      }
      actor = { kind: 'client', clientId: client.clientId, projectId: client.projectId };
    } else {
      // A pairwise client's token names the user by its pairwise sub; the grant knows the local user.
      const userId = await c.tokens.userIdOf(claims);
      const user = userId ? await c.accounts.find(userId) : undefined;
      if (!user || user.disabledAt !== null) throw new InvalidToken('the token subject is not an active user');
      actor = { kind: 'user', userId: user.id };
    }
    const authority = await c.projects.authority(actor);
    if (!administersAnything(authority)) throw ProjectErrors.insufficientPermissions();
    authorities.set(request, authority);
    request.auditActor = actor.kind === 'user' ? { type: 'user', id: actor.userId } : actor.kind === 'client' ? { type: 'client', id: actor.clientId } : { type: 'system', id: null };
  };
}

/** The JSON object body of an admin request. */
export function jsonObject(request: FastifyRequest): Record<string, unknown> {
  const b = request.body;
  if (!b || typeof b !== 'object' || Array.isArray(b)) throw new InvalidRequest('the request body must be a JSON object');
  return b as Record<string, unknown>;
}

/** An optional string field of an admin request body. */
export function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const v = body[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new InvalidRequest(`${field}: must be a string`);
  return v;
}
