/**
 * The audit context of an HTTP request: request id, client IP (as Fastify resolved it under
 * `server.trustProxy`), user agent, and the actor a gate authenticated. Routes pass it to the services that
 * record events; the services never see the request itself.
 */
import type { FastifyRequest } from 'fastify';
import type { AuditContext } from '../audit/audit-event.js';
import type { Actor } from '../audit/audit.store.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the admin API's gate once the bearer token is verified. */
    auditActor?: Actor | undefined;
  }
}

export function auditContext(request: FastifyRequest, actor?: Actor): AuditContext {
  const ua = request.headers['user-agent'];
  return { requestId: request.id, ip: request.ip, userAgent: typeof ua === 'string' ? ua : undefined, actor: actor ?? request.auditActor };
}

/** The actor behind one of our access tokens: a client_credentials token's subject is the client itself. */
export function tokenActor(claims: { sub?: string | undefined; client_id?: unknown }): Actor {
  const sub = claims.sub ?? null;
  return sub !== null && sub === claims.client_id ? { type: 'client', id: sub } : { type: 'user', id: sub };
}
