import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { BlockList, isIP } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { constantTimeEqual } from '../../oauth/hash.js';
import { oauthErrorOf } from '../error-handler.js';
import { metricsSchema } from '../schemas/infra.js';

/**
 * `server.metrics.allowFrom` as a net.BlockList: `loopback`, single addresses and CIDRs. An IPv4 entry also
 * matches its IPv4-mapped IPv6 form, which is how a dual-stack socket reports an IPv4 peer.
 */
export function metricsAllowList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const [i, entry] of entries.entries()) {
    if (entry === 'loopback') {
      list.addSubnet('127.0.0.0', 8, 'ipv4');
      list.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');
      list.addAddress('::1', 'ipv6');
      continue;
    }
    const [address = '', bits] = entry.split('/');
    const family = isIP(address);
    const prefix = bits === undefined ? (family === 6 ? 128 : 32) : Number(bits);
    if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32)) {
      throw new Error(`server.metrics.allowFrom[${i}]: must be \`loopback\`, an IP address or a CIDR`);
    }
    list.addSubnet(address, prefix, family === 6 ? 'ipv6' : 'ipv4');
    if (family === 4) list.addSubnet(`::ffff:${address}`, 96 + prefix, 'ipv6');
  }
  return list;
}

/**
 * The scraper must be connected directly: the socket's own peer address decides (never X-Forwarded-For), and
 * a request that came through a proxy is refused, since a reverse proxy on the same host would otherwise make
 * every outside request look local.
 */
function fromAllowedAddress(allow: BlockList, request: FastifyRequest): boolean {
  const peer = request.socket.remoteAddress;
  if (!peer || request.headers['x-forwarded-for'] !== undefined || request.headers['forwarded'] !== undefined) return false;
  return allow.check(peer, isIP(peer) === 6 ? 'ipv6' : 'ipv4');
}

/** `Authorization: Bearer <server.metrics.bearerToken>`, compared in constant time. */
function bearerMatches(token: string, headers: IncomingHttpHeaders): boolean {
  const presented = /^Bearer ([^\s]+)$/i.exec(headers.authorization ?? '')?.[1];
  return presented !== undefined && constantTimeEqual(presented, token);
}

export interface MetricsOptions {
  /** Socket addresses allowed to scrape on the main listener when no bearer token is configured. */
  allowFrom: readonly string[];
  /** When set, a scrape must present it, from any address; the address list no longer applies. */
  bearerToken?: string | undefined;
  /** /metrics is served by its own listener (serveMetrics), not the main one. */
  ownListener?: boolean | undefined;
  /** The Redis behind shared limits answers (only with redis.url). */
  redisUp?: (() => boolean) | undefined;
  /** Signing-key rotations this node performed on schedule. */
  keyRotations?: (() => number) | undefined;
}

const GRANT_TYPES = new Set([
  'authorization_code',
  'refresh_token',
  'client_credentials',
  'urn:ietf:params:oauth:grant-type:device_code',
  'urn:ietf:params:oauth:grant-type:token-exchange',
]);
const LOGIN_ROUTES = new Set(['/oauth/interaction/:id/login', '/oauth/interaction/:id/signup']);

const registries = new WeakMap<FastifyInstance, Registry>();
/** The registry registerMetrics made for this app (for serveMetrics). */
export const metricsRegistryOf = (app: FastifyInstance): Registry | undefined => registries.get(app);

/**
 * Prometheus metrics: request counts and latency per route, OAuth error responses by code, tokens issued by
 * grant type, sign-in outcomes, rate-limit refusals, Redis availability, plus the process defaults. Everything
 * is read off the finished response in one onResponse hook, so no route carries metrics code.
 */
export function registerMetrics(app: FastifyInstance, options: MetricsOptions): Registry {
  const allow = metricsAllowList(options.allowFrom);
  const registry = new Registry();
  registries.set(app, registry);
  collectDefaultMetrics({ register: registry, prefix: 'gatehouse_' });
  const redisUp = options.redisUp;
  if (redisUp) {
    new Gauge({
      name: 'gatehouse_redis_up',
      help: '1 while the Redis behind shared limits answers; 0 while limits are per node',
      registers: [registry],
      collect() {
        this.set(redisUp() ? 1 : 0);
      },
    });
  }
  const keyRotations = options.keyRotations;
  if (keyRotations) {
    let counted = 0;
    new Counter({
      name: 'gatehouse_key_rotations_total',
      help: 'Signing-key rotations this node performed on schedule (security.keyRotation)',
      registers: [registry],
      collect() {
        const now = keyRotations();
        if (now > counted) this.inc(now - counted);
        counted = now;
      },
    });
  }
  const requests = new Counter({
    name: 'gatehouse_http_requests_total',
    help: 'HTTP requests by route, method and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'gatehouse_http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const oauthErrors = new Counter({
    name: 'gatehouse_oauth_errors_total',
    help: 'Error responses in the OAuth format, by route and RFC 6749 error code',
    labelNames: ['route', 'error'] as const,
    registers: [registry],
  });
  const tokensIssued = new Counter({
    name: 'gatehouse_tokens_issued_total',
    help: 'Successful token endpoint responses, by grant type',
    labelNames: ['grant_type'] as const,
    registers: [registry],
  });
  const logins = new Counter({
    name: 'gatehouse_logins_total',
    help: 'Sign-in and sign-up form posts by outcome: success, failure, limited (429), busy (503)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const limited = new Counter({
    name: 'gatehouse_rate_limited_total',
    help: 'Requests refused by a rate limit (429), by route',
    labelNames: ['route'] as const,
    registers: [registry],
  });
  // prom-client validates and sorts a label object on every call; the labelled children are looked up once.
  const children = new Map<string, { count: { inc(): void }; time: { observe(v: number): void } }>();
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    const key = `${request.method} ${status} ${route}`;
    let child = children.get(key);
    if (!child) {
      child = {
        count: requests.labels({ method: request.method, route, status: String(status) }),
        time: latency.labels({ method: request.method, route }),
      };
      children.set(key, child);
    }
    child.count.inc();
    child.time.observe(reply.elapsedTime / 1000);
    if (status >= 400) {
      const error = oauthErrorOf(reply);
      if (error) oauthErrors.inc({ route, error });
      if (status === 429) limited.inc({ route });
    }
    if (route === '/oauth/token' && status === 200) {
      const grant = (request.body as Record<string, unknown> | undefined)?.['grant_type'];
      const name = Array.isArray(grant) ? grant[0] : grant;
      tokensIssued.inc({ grant_type: typeof name === 'string' && GRANT_TYPES.has(name) ? name : 'other' });
    }
    if (request.method === 'POST' && LOGIN_ROUTES.has(route)) {
      // A sign-in that passed goes on to the consent page (200) or back to the client (303); a refusal is 4xx.
      logins.inc({ outcome: status === 429 ? 'limited' : status === 503 ? 'busy' : status < 400 ? 'success' : 'failure' });
    }
    done();
  });
  if (!options.ownListener) {
    const token = options.bearerToken;
    app.get('/metrics', { schema: metricsSchema }, async (request, reply) => {
      // 404, not 403: an outside caller learns nothing about what this path would serve.
      const may = token ? bearerMatches(token, request.headers) : fromAllowedAddress(allow, request);
      if (!may) return reply.code(404).send({ error: 'not_found', error_description: 'no such endpoint' });
      return reply.type(registry.contentType).send(await registry.metrics());
    });
  }
  return registry;
}

/**
 * `server.metrics.port`: /metrics on a listener of its own (a Prometheus port on an internal interface). Its
 * bind address is the boundary, so the address list does not apply; the bearer token does when set.
 */
export async function serveMetrics(registry: Registry, host: string, port: number, bearerToken: string | undefined): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics' || (bearerToken && !bearerMatches(bearerToken, req.headers))) {
      res.writeHead(404, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end('{"error":"not_found","error_description":"no such endpoint"}');
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' }).end(body),
      () => res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"server_error","error_description":"metrics unavailable"}'),
    );
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
