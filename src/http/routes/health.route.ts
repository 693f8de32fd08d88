import type { FastifyInstance } from 'fastify';
import type { Container } from '../../app.js';
import { isReachable } from '../../storage/db.js';
import { isDraining } from '../plugins/connections.js';
import { healthzSchema, readyzSchema } from '../schemas/infra.js';

export function healthRoutes(app: FastifyInstance, c: Container): void {
  app.get('/healthz', { schema: healthzSchema }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: readyzSchema }, async (_req, reply) => {
    // Shutting down: not ready from the first moment, so a load balancer stops routing here before we stop.
    if (isDraining(app)) return reply.code(503).send({ status: 'shutting down' });
    const ok = await isReachable(c.db);
    // Redis down is degraded, not unready: limits fall back to each node's own until it returns.
    const redis = c.sharedStore ? { redis: c.sharedStore.status() === 'ok' ? 'ok' : 'degraded: limits are per node' } : {};
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'database unreachable', ...redis });
  });
}
