/**
 * The Fastify shell. Plugin order: error handler, metrics, request ids; then the API context (form bodies,
 * no-store, CORS) and the admin API. Routes are thin: parse, call one service, shape the reply.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Container } from '../app.js';
import { parseForm } from '../oauth/params.js';
import { browserErrorHandler, clientErrorHandler, errorHandler, frameworkErrorHandler, notFoundHandler } from './error-handler.js';
import { registerMetrics } from './plugins/metrics.js';
import { registerConnections } from './plugins/connections.js';
import { registerInputGuard } from './plugins/input-guard.js';
import { REDACTED, REDACTED_PATHS, serializeRequest } from './plugins/logging.js';
import { corsGate } from './plugins/cors.js';
import { registerOpenApi } from './plugins/openapi.js';
import { discoveryRoutes } from './routes/discovery.route.js';
import { healthRoutes } from './routes/health.route.js';
import { tokenRoutes } from './routes/token.route.js';
import { registrationRoutes } from './routes/register.route.js';
import { adminClientRoutes } from './routes/admin-clients.route.js';
import { adminUserRoutes } from './routes/admin-users.route.js';
import { adminProjectRoutes } from './routes/admin-projects.route.js';
import { adminAuditRoutes } from './routes/admin-audit.route.js';
import fastifyCookie from '@fastify/cookie';
import { STYLESHEET, STYLESHEET_PATH } from '../views/layout.view.js';
import { authorizeRoutes } from './routes/authorize.route.js';
import { interactionRoutes } from './routes/interaction.route.js';
import { logoutRoutes } from './routes/logout.route.js';
import { userinfoRoutes } from './routes/userinfo.route.js';
import { deviceAuthorizationRoutes, devicePageRoutes } from './routes/device.route.js';

/** Fastify takes a hop count through a function; booleans and address lists pass through. */
function trustProxy(value: boolean | string | number): boolean | string | ((addr: string, hop: number) => boolean) {
  return typeof value === 'number' ? (_addr, hop) => hop < value : value;
}

export interface ServerOptions {
  /** Told the path of every route as it is registered (the embedding API routes by them). */
  onRoute?: (url: string) => void;
}

/**
 * server.tls: Gatehouse terminates TLS itself. RFC 8705: the client certificate is requested of every client
 * but not required, so one listener serves browsers and mTLS clients alike; whether a certificate is good is
 * decided per client by src/mtls/, never by the handshake.
 */
function httpsOptions(tls: Container['config']['server']['tls'], http: { headersTimeout: number; connectionsCheckingInterval: number }) {
  if (!tls.certFile) return {};
  return {
    https: {
      // The slow-client limits of the http listener hold for the https one too.
      ...http,
      cert: readFileSync(tls.certFile),
      key: readFileSync(tls.keyFile),
      ...(tls.clientCaFile ? { ca: readFileSync(tls.clientCaFile) } : {}),
      requestCert: true,
      rejectUnauthorized: false,
    },
  };
}

export async function buildServer(c: Container, options: ServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    ...httpsOptions(c.config.server.tls, {
      headersTimeout: c.config.server.headersTimeout * 1000,
      connectionsCheckingInterval: Math.min(1000, c.config.server.headersTimeout * 500),
    }),
    logger: {
      level: c.config.server.logLevel,
      redact: { paths: REDACTED_PATHS, censor: REDACTED },
      // Query strings carry tokens (RFC 6750 §2.3, id_token_hint): the URL is logged with their values redacted.
      serializers: { req: serializeRequest },
    },
    trustProxy: trustProxy(c.config.server.trustProxy),
    bodyLimit: c.config.server.bodyLimit,
    // Slow clients (slowloris, dripped bodies): Node enforces these per connection; the checking interval is
    // the resolution of the header and request timeouts (Node's default of 30 s would dwarf short limits).
    http: {
      headersTimeout: c.config.server.headersTimeout * 1000,
      connectionsCheckingInterval: Math.min(1000, c.config.server.headersTimeout * 500),
    },
    requestTimeout: c.config.server.requestTimeout * 1000,
    keepAliveTimeout: c.config.server.keepAliveTimeout * 1000,
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w-]{1,64}$/.test(given) ? given : randomUUID();
    },
    requestIdHeader: false,
    // Per-request access logs only at debug: they cost more than a token request on the hot path.
    logController: new LogController({
      disableRequestLogging: c.config.server.logLevel !== 'debug' && c.config.server.logLevel !== 'trace',
    }),
    return503OnClosing: true,
  });
  const onRoute = options.onRoute;
  if (onRoute) app.addHook('onRoute', (route) => onRoute(route.url));
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  registerConnections(app, c.config.server.maxConnectionsPerIp);
  // Callback-style hooks: an async hook costs a promise per request on the hot path.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  // RFC 6749 §3.2 forms: parsed with URLSearchParams, repeated keys kept so singleValued() can refuse them.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, parseForm(body as string));
  });
  registerInputGuard(app);
  // Before any route: the document is generated from the routes registered after it.
  await registerOpenApi(app, c.config.server);
  const shared = c.sharedStore;
  const metrics = c.config.server.metrics;
  registerMetrics(app, {
    allowFrom: metrics.allowFrom,
    bearerToken: metrics.bearerToken || undefined,
    ownListener: metrics.port !== 0,
    redisUp: shared ? () => shared.status() === 'ok' : undefined,
    keyRotations: () => c.keyRotation.rotations,
  });
  const cors = corsGate(c.clients);
  healthRoutes(app, c);
  discoveryRoutes(app, c);

  await app.register(async (api) => {
    api.addHook('onRequest', (_request, reply, done) => {
      reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
      done();
    });
    for (const path of ['/oauth/token', '/oauth/par', '/oauth/revoke', '/oauth/introspect', '/oauth/userinfo']) {
      api.options(path, async (request, reply) => {
        await cors.preflight(request, reply);
        return reply.code(204).send();
      });
    }
    tokenRoutes(api, c, cors);
    deviceAuthorizationRoutes(api, c, cors);
    userinfoRoutes(api, c, cors);
    registrationRoutes(api, c);
    adminClientRoutes(api, c);
    adminUserRoutes(api, c);
    adminProjectRoutes(api, c);
    adminAuditRoutes(api, c);
  });

  // Browser context: cookies, security headers, HTML errors (never JSON, never a redirect to an unverified URI).
  await app.register(async (browser) => {
    await browser.register(fastifyCookie, { secret: c.config.auth.sessionSecret });
    browser.setErrorHandler(browserErrorHandler);
    authorizeRoutes(browser, c);
    interactionRoutes(browser, c);
    logoutRoutes(browser, c);
    devicePageRoutes(browser, c);
  });
  app.get(STYLESHEET_PATH, async (_req, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=86400').send(STYLESHEET),
  );
  return app;
}
