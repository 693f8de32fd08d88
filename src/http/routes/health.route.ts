import type { FastifyInstance } from 'fastify';
import type { Container } from '../../app.js';
import { isReachable } from '../../storage/db.js';

export function healthRoutes(app: FastifyInstance, c: Container): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const ok = await isReachable(c.db);
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'database unreachable' });
  });
}
