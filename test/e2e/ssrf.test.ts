/**
 * Issue 10 item 6: a jwks_uri is fetched only through src/outbound/: https only, public addresses only (checked
 * on the addresses the connection resolves to), no redirects, bounded size. A self-registered client naming a
 * loopback address makes the server connect nowhere; the development switch lets a loopback JWKS work.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createDeployment, DIALECTS, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { json, postForm } from '../helpers/http.js';

const pg = await postgresAvailable();
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const IAT = 'test-initial-access-token-0123456789';

const listen = async <S extends TcpServer | HttpServer>(server: S): Promise<number> => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
};

describe.each(DIALECTS)('outbound fetches are SSRF-safe (%s)', (dialect) => {
  const skip = dialect === 'postgres' && !pg;
  let strict: Deployment;
  let dev: Deployment;
  let strictSrv: ServerProcess;
  let devSrv: ServerProcess;
  let keys: Awaited<ReturnType<typeof generateKeyPair>>;
  let jwk: Record<string, unknown>;
  /** Records every TCP connection made to it: the server must never open one. */
  let trap: TcpServer;
  let trapPort: number;
  let connections = 0;
  /** A loopback JWKS for the development switch, with paths that redirect and that answer too much. */
  let jwksServer: HttpServer;
  let jwksPort: number;
  const jwksHits: string[] = [];

  beforeAll(async () => {
    if (skip) return;
    keys = await generateKeyPair('ES256');
    jwk = { ...(await exportJWK(keys.publicKey)), kid: 'k1', alg: 'ES256' };
    trap = createTcpServer((socket) => {
      connections++;
      socket.destroy();
    });
    trapPort = await listen(trap);
    jwksServer = createHttpServer((req, res) => {
      jwksHits.push(req.url ?? '');
      if (req.url === '/redirect') res.writeHead(302, { location: `http://127.0.0.1:${trapPort}/jwks` }).end();
      else if (req.url === '/huge') res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: [jwk], pad: 'x'.repeat(1 << 20) }));
      else res.setHeader('content-type', 'application/json').setHeader('cache-control', 'max-age=60').end(JSON.stringify({ keys: [jwk] }));
    });
    jwksPort = await listen(jwksServer);
    [strict, dev] = await Promise.all([createDeployment(dialect), createDeployment(dialect, { outbound: { allowInsecureLoopback: true } })]);
    [strictSrv, devSrv] = await Promise.all([strict.serve(), dev.serve()]);
  }, 90_000);
  afterAll(async () => {
    trap?.close();
    jwksServer?.close();
    await Promise.all([strict?.cleanup(), dev?.cleanup()]);
  });

  const register = async (srv: ServerProcess, jwksUri: string) =>
    json(`${srv.url}/oauth/register`, {
      method: 'POST',
      headers: { authorization: `Bearer ${IAT}` },
      body: JSON.stringify({ grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', jwks_uri: jwksUri }),
    });
  const operatorClient = async (dep: Deployment, jwksUri: string) => {
    const r = await dep.cli(['clients', 'create', '--auth', 'private_key_jwt', '--jwks-uri', jwksUri, '--scope', 'api:read', '--json']);
    expect(r.code, r.stderr).toBe(0);
    return (JSON.parse(r.stdout) as { client_id: string }).client_id;
  };
  const authenticate = async (srv: ServerProcess, dep: Deployment, clientId: string) => {
    const assertion = await new SignJWT({ jti: crypto.randomUUID() })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience(`${dep.issuer}/oauth/token`)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(keys.privateKey);
    return postForm(`${srv.url}/oauth/token`, { grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: assertion });
  };

  it.skipIf(skip)('a self-registered jwks_uri on 127.0.0.1 or localhost: invalid_client, and no connection is made', async () => {
    for (const host of ['127.0.0.1', 'localhost', '[::ffff:127.0.0.1]']) {
      const reg = await register(strictSrv, `https://${host}:${trapPort}/jwks`);
      expect(reg.status, JSON.stringify(reg.json)).toBe(201);
      const res = await authenticate(strictSrv, strict, reg.json['client_id'] as string);
      expect(res.status).toBe(401);
      expect(res.json['error']).toBe('invalid_client');
    }
    expect(connections).toBe(0);
  });

  it.skipIf(skip)('an operator-registered http loopback jwks_uri is refused without the development switch', async () => {
    const id = await operatorClient(strict, `http://127.0.0.1:${jwksPort}/jwks`);
    const res = await authenticate(strictSrv, strict, id);
    expect(res.json['error']).toBe('invalid_client');
    expect(jwksHits).toHaveLength(0);
  });

  it.skipIf(skip)('with outbound.allowInsecureLoopback a loopback JWKS works, fetched once and cached', async () => {
    const id = await operatorClient(dev, `http://127.0.0.1:${jwksPort}/jwks`);
    for (let i = 0; i < 3; i++) {
      const res = await authenticate(devSrv, dev, id);
      expect(res.status, JSON.stringify(res.json)).toBe(200);
    }
    expect(jwksHits.filter((u) => u === '/jwks')).toHaveLength(1); // Cache-Control: max-age=60
  });

  it.skipIf(skip)('redirects are not followed and oversized documents are refused, even with the switch', async () => {
    for (const path of ['/redirect', '/huge']) {
      const id = await operatorClient(dev, `http://127.0.0.1:${jwksPort}${path}`);
      const res = await authenticate(devSrv, dev, id);
      expect(res.status).toBe(401);
      expect(res.json['error']).toBe('invalid_client');
    }
    expect(connections).toBe(0);
  });
});
