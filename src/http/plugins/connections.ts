/**
 * The connection lifecycle: a cap on concurrent connections per client address, and the graceful drain on
 * shutdown (docs/SECURITY.md, "Connections and shutdown"). The header, request and keep-alive timeouts are
 * Node's own (http.Server headersTimeout / requestTimeout / keepAliveTimeout), set in server.ts.
 */
import { Server } from 'node:net';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

interface Lifecycle {
  draining: boolean;
}

const lifecycles = new WeakMap<FastifyInstance, Lifecycle>();

/** True once shutdown began: /readyz answers 503 so load balancers stop sending traffic at once. */
export function isDraining(app: FastifyInstance): boolean {
  return lifecycles.get(app)?.draining ?? false;
}

/**
 * Counts open sockets per remote address and destroys a connection beyond the cap before it is read, so one
 * client cannot hold every file descriptor with slow or idle connections.
 */
export function registerConnections(app: FastifyInstance, maxPerIp: number): void {
  const state: Lifecycle = { draining: false };
  lifecycles.set(app, state);
  const open = new Map<string, number>();
  app.server.on('connection', (socket: Socket) => {
    const ip = socket.remoteAddress ?? '';
    const n = (open.get(ip) ?? 0) + 1;
    if (n > maxPerIp) {
      socket.destroy();
      return;
    }
    open.set(ip, n);
    socket.once('close', () => {
      const left = (open.get(ip) ?? 1) - 1;
      if (left <= 0) open.delete(ip);
      else open.set(ip, left);
    });
  });
  // While draining, every response says Connection: close (RFC 9112 §9.6), so a keep-alive client sends its
  // next request on a new connection (refused: the listener is closed) instead of on one the server will close.
  // Set when the response is sent, so requests already in flight at SIGTERM carry it too.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (state.draining) reply.header('connection', 'close');
    done(null, payload);
  });
}

/**
 * The shutdown sequence: mark not-ready, stop accepting, let in-flight requests and keep-alive connections
 * finish (each closes after its current response, or when its keep-alive timeout ends it), and after
 * `timeoutMs` close whatever is left. The caller then closes Fastify and the database.
 *
 * The listener is closed with net.Server's close, not http.Server's: since Node 19 the latter also closes
 * every idle keep-alive connection at once, which races a client that is sending its next request on it
 * (the client sees a reset for a request the server never read).
 */
export async function drain(app: FastifyInstance, timeoutMs: number): Promise<void> {
  const state = lifecycles.get(app);
  if (state) state.draining = true;
  const server = app.server;
  if (!server.listening) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      server.closeAllConnections();
      resolve();
    }, timeoutMs);
    timer.unref();
    // The callback runs once the listener is closed and every connection has ended.
    Server.prototype.close.call(server, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
