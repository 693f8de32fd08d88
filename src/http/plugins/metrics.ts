import { BlockList, isIP } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
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
function mayScrape(allow: BlockList, request: FastifyRequest): boolean {
  const peer = request.socket.remoteAddress;
  if (!peer || request.headers['x-forwarded-for'] !== undefined || request.headers['forwarded'] !== undefined) return false;
  return allow.check(peer, isIP(peer) === 6 ? 'ipv6' : 'ipv4');
}

/** Prometheus metrics: request counts and latency per route, plus the process defaults. */
export function registerMetrics(app: FastifyInstance, allowFrom: readonly string[] = ['loopback'], redisUp?: () => boolean): Registry {
  const allow = metricsAllowList(allowFrom);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'gatehouse_' });
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
  // prom-client validates and sorts a label object on every call; the labelled children are looked up once.
  const children = new Map<string, { count: { inc(): void }; time: { observe(v: number): void } }>();
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const key = `${request.method} ${reply.statusCode} ${route}`;
    let child = children.get(key);
    if (!child) {
      child = {
        count: requests.labels({ method: request.method, route, status: String(reply.statusCode) }),
        time: latency.labels({ method: request.method, route }),
      };
      children.set(key, child);
    }
    child.count.inc();
    child.time.observe(reply.elapsedTime / 1000);
    done();
  });
  app.get('/metrics', { schema: metricsSchema }, async (request, reply) => {
    // 404, not 403: an outside caller learns nothing about what this path would serve.
    if (!mayScrape(allow, request)) return reply.code(404).send({ error: 'not_found', error_description: 'no such endpoint' });
    return reply.type(registry.contentType).send(await registry.metrics());
  });
  return registry;
}
