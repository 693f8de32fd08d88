import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ClientService } from '../../clients/client.service.js';

/**
 * CORS for browser clients on the API endpoints: an Origin is echoed only when some client lists it in
 * `allowed_origins` (exact match, never `*`). The allow-list is cached briefly so preflights stay cheap.
 */
export type CorsGate = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

export function corsGate(clients: ClientService): CorsGate {
  let cache: { at: number; origins: Set<string> } | undefined;
  const allowed = async (origin: string) => {
    const now = Date.now();
    if (!cache || now - cache.at > 10_000) {
      cache = { at: now, origins: new Set((await clients.list()).flatMap((c) => c.allowedOrigins)) };
    }
    return cache.origins.has(origin);
  };
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const origin = request.headers.origin;
    if (!origin) return;
    reply.header('vary', 'Origin');
    if (!(await allowed(origin))) return;
    reply.header('access-control-allow-origin', origin);
    if (request.method === 'OPTIONS') {
      reply
        .header('access-control-allow-methods', 'GET, POST')
        .header('access-control-allow-headers', 'Authorization, Content-Type, DPoP')
        .header('access-control-max-age', '600');
    }
  };
}
