import { createContainer } from '../../app.js';
import { buildApp } from '../../app.js';
import { isSqliteUrl, loadConfig } from '../../config/load.js';
import { drain } from '../../http/plugins/connections.js';
import { metricsRegistryOf, serveMetrics } from '../../http/plugins/metrics.js';
import { isMigrated, migrateUp } from '../../storage/migrator.js';
import { parse, type Command, type CommandHelp } from '../args.js';
import { runSeed } from './migrate.js';

/** Runs the server until SIGTERM/SIGINT, then drains in-flight requests and closes the pool. */
const FLAGS = {
  port: { type: 'string', value: 'N', description: 'listen on this port (server.port); the default issuer follows it' },
  host: { type: 'string', value: 'ADDRESS', description: 'listen on this address (server.host)' },
} as const;
export const SERVE_HELP: CommandHelp = { name: 'serve', summary: 'Run the server until SIGTERM/SIGINT (a new SQLite database is migrated and seeded first).' };

export const serveCommand: Command = async (argv) => {
  const { values } = parse(argv, FLAGS, SERVE_HELP);
  const overrides: Record<string, unknown> = {};
  if (values.port !== undefined) overrides['server'] = { port: Number(values.port) };
  if (values.host !== undefined) overrides['server'] = { ...(overrides['server'] as object), host: values.host };
  const config = loadConfig({ path: values.config, overrides });
  const container = await createContainer(config, { createDatabase: true });
  try {
    // Zero-config quick start: a new SQLite database is migrated and seeded on first start.
    if (isSqliteUrl(config.database.url) && !(await isMigrated(container.db))) {
      for (const s of await migrateUp(container.db)) process.stdout.write(`migrate: ${s}\n`);
      await runSeed(container);
    }
    const app = await buildApp(container);
    for (const w of container.warnings) app.log.warn(w);
    container.sharedStore?.onStatus((status, reason) =>
      status === 'ok'
        ? app.log.info('redis available: login and client-authentication limits are shared by every node')
        : app.log.warn({ reason }, 'redis unavailable: limits are per node until it answers again'),
    );
    container.keystore.start((err) => app.log.error({ err }, 'key refresh failed'));
    container.keyRotation.start(app.log);
    // Janitor: expired codes, tokens, sessions and grants are deleted every ten minutes (any node may do it).
    const janitor = setInterval(() => {
      container.purgeExpired().then(
        (n) => n > 0 && app.log.info({ purged: n }, 'expired rows deleted'),
        (err: unknown) => app.log.error({ err }, 'purge failed'),
      );
    }, 600_000);
    janitor.unref();
    await app.listen({ host: config.server.host, port: config.server.port });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.server.port;
    const metrics = config.server.metrics;
    const registry = metricsRegistryOf(app);
    const metricsServer = metrics.port !== 0 && registry ? await serveMetrics(registry, metrics.host, metrics.port, metrics.bearerToken || undefined) : undefined;
    const demo = config.seeder.demoClient;
    process.stdout.write(
      [
        `Gatehouse is listening on ${config.server.tls.certFile ? 'https' : 'http'}://${config.server.host}:${port}`,
        `issuer: ${config.server.issuer}`,
        `discovery: ${config.server.issuer}/.well-known/openid-configuration`,
        ...(metricsServer ? [`metrics: http://${metrics.host}:${metrics.port}/metrics`] : []),
        `admin login: ${config.seeder.superadmin.email.toLowerCase()}${config.seeder.superadmin.password ? '' : ' (password printed at first start)'}`,
        ...(demo.enabled ? [`demo client: ${demo.clientId}${demo.clientSecret ? '' : ' (secret printed at first start)'}`] : []),
        `READY ${JSON.stringify({ port, pid: process.pid })}`,
        '',
      ].join('\n'),
    );
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        app.log.info({ signal }, 'shutting down');
        resolve();
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
    clearInterval(janitor);
    await container.keyRotation.stop();
    // docs/SECURITY.md "Shutdown": not ready at once, stop accepting, drain (bounded), then Fastify and the pool.
    await drain(app, config.server.shutdownTimeout * 1000);
    await app.close();
    if (metricsServer) {
      metricsServer.closeAllConnections();
      await new Promise((resolve) => metricsServer.close(resolve));
    }
    return 0;
  } finally {
    await container.close();
  }
};
