import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { createRemoteJWKSet, importJWK } from 'jose';
import { createDeployment, DIALECTS, freePort, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';

const pg = await postgresAvailable();

describe.each(DIALECTS)('discovery and JWKS (%s)', (dialect) => {
  let dep: Deployment;
  let server: ServerProcess;
  beforeAll(async () => {
    if (dialect === 'postgres' && !pg) return;
    dep = await createDeployment(dialect);
    server = await dep.serve();
  });
  afterAll(async () => dep?.cleanup());

  it.skipIf(dialect === 'postgres' && !pg)('openid-client discovers the issuer and the JWKS keys import with jose', async () => {
    const config = await client.discovery(new URL(dep.issuer), 'demo-client', undefined, undefined, {
      execute: [client.allowInsecureRequests],
    });
    const meta = config.serverMetadata();
    expect(meta.issuer).toBe(dep.issuer);
    expect(meta.token_endpoint).toBe(`${dep.issuer}/oauth/token`);
    expect(meta.jwks_uri).toBe(`${dep.issuer}/jwks.json`);

    const res = await fetch(`${server.url}/jwks.json`);
    expect(res.headers.get('cache-control')).toMatch(/max-age=\d+/);
    const jwks = (await res.json()) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys.length).toBeGreaterThanOrEqual(2);
    for (const k of jwks.keys) {
      for (const privateMember of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) expect(k).not.toHaveProperty(privateMember);
      await importJWK(k as never, k['alg'] as string);
    }
    const set = createRemoteJWKSet(new URL(`${server.url}/jwks.json`));
    expect(set).toBeTypeOf('function');
  });

  it.skipIf(dialect === 'postgres' && !pg)('serves RFC 8414 metadata, health, readiness and metrics', async () => {
    const oauth = (await (await fetch(`${server.url}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    expect(oauth['issuer']).toBe(dep.issuer);
    expect(oauth['code_challenge_methods_supported']).toEqual(['S256']);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('gatehouse_http_requests_total');
    expect(metrics).toContain('gatehouse_http_request_duration_seconds_bucket');
  });

  it.skipIf(dialect === 'postgres' && !pg)('stops gracefully on SIGTERM', async () => {
    const second = await dep.serve(await freePort());
    expect((await fetch(`${second.url}/healthz`)).status).toBe(200);
    expect(await second.stop()).toBe(0);
  }, 30_000);
});
