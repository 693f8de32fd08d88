import type { FastifyInstance } from 'fastify';
import type { Container } from '../../app.js';

/** Discovery documents and the JWKS: public, cacheable, and readable from any origin (they hold no secrets). */
export function discoveryRoutes(app: FastifyInstance, c: Container): void {
  const openid = JSON.stringify(c.discovery.openid);
  const oauth = JSON.stringify(c.discovery.oauth);
  app.get('/.well-known/openid-configuration', async (_req, reply) =>
    reply.type('application/json').header('cache-control', 'public, max-age=300').header('access-control-allow-origin', '*').send(openid),
  );
  app.get('/.well-known/oauth-authorization-server', async (_req, reply) =>
    reply.type('application/json').header('cache-control', 'public, max-age=300').header('access-control-allow-origin', '*').send(oauth),
  );
  app.get('/jwks.json', async (_req, reply) =>
    reply
      .type('application/jwk-set+json')
      .header('cache-control', 'public, max-age=300')
      .header('access-control-allow-origin', '*')
      .send(c.keystore.jwksJson()),
  );
}
