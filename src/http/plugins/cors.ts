import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Client } from '../../clients/client.js';
import type { ClientService } from '../../clients/client.service.js';

/**
 * CORS per client on the API endpoints. A response is readable cross-origin only when the client the request
 * is for — the client that authenticated at the token, introspection and revocation endpoints, the client an
 * access token was issued to at userinfo — lists the Origin in its `allowed_origins` (exact match, never `*`).
 * One client's registration therefore never widens CORS for another. A preflight carries no client, so it is
 * answered for any origin some client registered (cached briefly); it reveals nothing, and the response to the
 * request itself is still gated by that request's client. Discovery and the JWKS are public and send `*`.
 */
export interface CorsGate {
  /** OPTIONS preflight on an API endpoint. */
  preflight(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  /** Marks the response readable by the request's Origin when `client` (or the client with this id) allows it. */
  forClient(request: FastifyRequest, reply: FastifyReply, client: Pick<Client, 'allowedOrigins'> | string | undefined): Promise<void>;
}

export function corsGate(clients: ClientService): CorsGate {
  let cache: { at: number; origins: Set<string> } | undefined;
  const registeredSomewhere = async (origin: string) => {
    const now = Date.now();
    if (!cache || now - cache.at > 10_000) {
      cache = { at: now, origins: new Set((await clients.list()).flatMap((c) => c.allowedOrigins)) };
    }
    return cache.origins.has(origin);
  };
  return {
    async preflight(request, reply) {
      const origin = request.headers.origin;
      if (!origin) return;
      reply.header('vary', 'Origin');
      if (!(await registeredSomewhere(origin))) return;
      reply
        .header('access-control-allow-origin', origin)
        .header('access-control-allow-methods', 'GET, POST')
        .header('access-control-allow-headers', 'Authorization, Content-Type, DPoP')
        .header('access-control-max-age', '600');
    },
    async forClient(request, reply, client) {
      const origin = request.headers.origin;
      if (!origin) return;
      reply.header('vary', 'Origin');
      const found = typeof client === 'string' ? await clients.find(client) : client;
      if (found?.allowedOrigins.includes(origin)) {
        // RFC 9449 §8: a browser client must be able to read the nonce and the DPoP challenge.
        reply.header('access-control-allow-origin', origin).header('access-control-expose-headers', 'DPoP-Nonce, WWW-Authenticate');
      }
    },
  };
}
