/**
 * The embedding API (package entry `gatehouse-oidc`): Gatehouse inside an existing Node app, the way
 * node-oidc-provider is mounted. The host passes every request under a path Gatehouse owns to `handler` (a
 * Node request listener) and keeps the rest; the issuer is the host's public origin. Everything else — the
 * container, the routes, the security headers, the error mapping — is exactly what `gatehouse serve` runs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { buildApp, createContainer, type Container } from './app.js';
import { isSqliteUrl, loadConfig } from './config/load.js';
import type { Config } from './config/schema.js';
import { isMigrated, migrateUp } from './storage/migrator.js';
import { runSeed } from './cli/seed-report.js';

export interface GatehouseOptions {
  /** A config file (YAML), as `--config`; without it GATEHOUSE_CONFIG, then ./config.yaml if present. */
  configPath?: string;
  /** Settings merged over the file (same shape as config.yaml), e.g. `{ server: { issuer: 'https://…' } }`. */
  config?: Record<string, unknown>;
  /** Apply pending migrations at start (default true); a new SQLite database is also seeded, as `serve` does. */
  migrate?: boolean;
}

export interface Gatehouse {
  /** The Node request listener: give it every request whose path `owns` accepts. */
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** True for a request path Gatehouse serves (`/oauth/…`, `/.well-known/…`, `/healthz`, …). */
  owns(url: string): boolean;
  /** The configuration in effect (secrets included: do not log it). */
  readonly config: Config;
  /** The Fastify instance behind `handler`, for `inject` in tests or its logger. */
  readonly fastify: FastifyInstance;
  /** Stops the timers, finishes pending logout deliveries and closes the database pool. */
  close(): Promise<void>;
}

const JANITOR_INTERVAL_MS = 600_000;

export async function createGatehouse(options: GatehouseOptions = {}): Promise<Gatehouse> {
  const config = loadConfig({ path: options.configPath, overrides: options.config ?? {}, createDatabase: true });
  const migrate = options.migrate ?? true;
  const container: Container = await createContainer(config, { createDatabase: migrate });
  let app: FastifyInstance;
  try {
    if (migrate) {
      const fresh = isSqliteUrl(config.database.url) && !(await isMigrated(container.db));
      await migrateUp(container.db);
      // As `serve`: generated secrets (the first admin's password, the demo client's secret) are printed once.
      if (fresh) await runSeed(container);
    }
    const prefixes = new Set<string>();
    app = await buildApp(container, { onRoute: (url) => prefixes.add(firstSegment(url)) });
    await app.ready();
    container.keystore.start((err) => app.log.error({ err }, 'key refresh failed'));
    container.keyRotation.start(app.log);
    const janitor = setInterval(() => {
      container.purgeExpired().catch((err: unknown) => app.log.error({ err }, 'purge failed'));
    }, JANITOR_INTERVAL_MS);
    janitor.unref();
    return {
      handler: (req, res) => app.routing(req, res),
      owns: (url) => prefixes.has(firstSegment(url)),
      config,
      fastify: app,
      async close() {
        clearInterval(janitor);
        await container.keyRotation.stop();
        await app.close();
        await container.close();
      },
    };
  } catch (err) {
    await container.close();
    throw err;
  }
}

/** `/oauth/token?x` → `/oauth`; `/.well-known/openid-configuration` → `/.well-known`; `/jwks` → `/jwks`. */
function firstSegment(url: string): string {
  const path = url.split(/[?#]/)[0] ?? '';
  const end = path.indexOf('/', 1);
  return end < 0 ? path : path.slice(0, end);
}
