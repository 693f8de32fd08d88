// @ts-check
/**
 * Gatehouse embedded in an existing Node app (the package entry `gatehouse-oidc`): the host serves its own
 * pages and hands every path Gatehouse owns (/oauth/…, /.well-known/…, /jwks.json, /healthz, …) to it, on one
 * port and one origin, which is the issuer. From the repository root after `npm ci` (or from any project that
 * ran `npm install gatehouse-oidc`):
 *
 * Run: node examples/embedded/app.mjs
 *
 * Settings (environment): PORT (8090), ISSUER (http://localhost:8090), GATEHOUSE_CONFIG (a config file; without
 * it ./config.yaml when present, else the defaults with a SQLite database in ./data). Then:
 *   curl http://localhost:8090/.well-known/openid-configuration
 */
import { createServer } from 'node:http';
import { createGatehouse } from 'gatehouse-oidc';

const port = Number(process.env['PORT'] ?? 8090);
const issuer = process.env['ISSUER'] ?? `http://localhost:${port}`;

const gatehouse = await createGatehouse({ config: { server: { issuer } } });

const server = createServer((req, res) => {
  if (gatehouse.owns(req.url ?? '/')) return gatehouse.handler(req, res);
  // The host app's own routes.
  if (req.url === '/') {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(`The host app. Its sign-in is ${issuer}.\n`);
    return;
  }
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found in the host app.\n');
});

server.listen(port, () => process.stdout.write(`host app listening on http://localhost:${port} (issuer ${issuer})\n`));

const stop = () => server.close(() => void gatehouse.close().then(() => process.exit(0)));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
