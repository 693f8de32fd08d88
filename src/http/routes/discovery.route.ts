import type { FastifyInstance } from 'fastify';
import type { Container } from '../../app.js';
import { JWKS_MAX_AGE_SECONDS } from '../../keys/keystore.service.js';
import { jwksSchema, oauthMetadataSchema, openidConfigurationSchema } from '../schemas/infra.js';

/** Discovery documents and the JWKS: public, cacheable, and readable from any origin (they hold no secrets). */
export function discoveryRoutes(app: FastifyInstance, c: Container): void {
  const openid = JSON.stringify(c.discovery.openid);
  const oauth = JSON.stringify(c.discovery.oauth);
  app.get('/.well-known/openid-configuration', { schema: openidConfigurationSchema }, async (_req, reply) =>
    reply.type('application/json').header('cache-control', 'public, max-age=300').header('access-control-allow-origin', '*').send(openid),
  );
  app.get('/.well-known/oauth-authorization-server', { schema: oauthMetadataSchema }, async (_req, reply) =>
    reply.type('application/json').header('cache-control', 'public, max-age=300').header('access-control-allow-origin', '*').send(oauth),
  );
  app.get('/jwks.json', { schema: jwksSchema }, async (_req, reply) =>
    reply
      .type('application/jwk-set+json')
      // Key rotation waits this long before a new key signs (keystore.service.ts): one constant for both.
      .header('cache-control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`)
      .header('access-control-allow-origin', '*')
      .send(c.keystore.jwksJson()),
  );
}
