/**
 * Issue 13: the OpenAPI 3.1 document of a real `gatehouse serve` is valid OpenAPI 3.1, names every route the
 * server registered (its own route table, as the fuzzer reads it), marks the security schemes, and its rendered
 * page loads with the pages' security headers, its assets from this server, and (in Chromium) no CSP violation.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Validator } from '@seriousme/openapi-schema-validator';
import { chromium } from 'playwright-core';
import { createDeployment, DIALECTS, type Deployment, type ServerProcess } from '../helpers/server.js';
import { postgresAvailable } from '../helpers/postgres.js';
import { discoverRoutes } from '../helpers/fuzz.js';

const pg = await postgresAvailable();
const CHROMIUM = '/usr/bin/chromium';

type Operation = { security?: Record<string, string[]>[]; responses: Record<string, unknown>; requestBody?: { content: Record<string, unknown> } };
type OpenApi = { openapi: string; paths: Record<string, Record<string, Operation>>; components: { securitySchemes: Record<string, { type: string; scheme?: string }> } };

/** Fastify's `/a/:id` is OpenAPI's `/a/{id}`. */
const openapiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');

describe.each(DIALECTS)('OpenAPI document (%s)', (dialect) => {
  let dep: Deployment;
  let server: ServerProcess;
  let doc: OpenApi;
  beforeAll(async () => {
    if (dialect === 'postgres' && !pg) return;
    dep = await createDeployment(dialect);
    server = await dep.serve();
    const res = await fetch(`${server.url}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    doc = (await res.json()) as OpenApi;
  });
  afterAll(async () => dep?.cleanup());

  it.skipIf(dialect === 'postgres' && !pg)('is valid OpenAPI 3.1', async () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
    const result = await new Validator().validate(doc as unknown as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it.skipIf(dialect === 'postgres' && !pg)('documents every registered route (HEAD duplicates and the docs page aside)', async () => {
    const routes = await discoverRoutes(dep.configPath);
    const missing: string[] = [];
    let checked = 0;
    for (const route of routes) {
      if (route.path.startsWith('/docs')) continue;
      for (const method of route.methods.filter((m) => m !== 'HEAD')) {
        checked++;
        if (!doc.paths[openapiPath(route.path)]?.[method.toLowerCase()]) missing.push(`${method} ${route.path}`);
      }
    }
    expect(missing).toEqual([]);
    expect(checked).toBeGreaterThan(40);
    // Nothing documented that the server does not answer.
    const registered = new Set(routes.map((r) => openapiPath(r.path)));
    expect(Object.keys(doc.paths).filter((p) => !registered.has(p))).toEqual([]);
  });

  it.skipIf(dialect === 'postgres' && !pg)('marks client authentication, bearer tokens and the form bodies', () => {
    const schemes = doc.components.securitySchemes;
    expect(schemes['clientSecretBasic']).toMatchObject({ type: 'http', scheme: 'basic' });
    expect(schemes['adminToken']).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(schemes['accessToken']).toMatchObject({ type: 'http', scheme: 'bearer' });
    const token = doc.paths['/oauth/token']!['post']!;
    expect(token.security).toContainEqual({ clientSecretBasic: [] });
    expect(Object.keys(token.requestBody!.content)).toEqual(['application/x-www-form-urlencoded']);
    expect(token).toHaveProperty('x-client-authentication', expect.arrayContaining(['client_secret_basic', 'client_secret_post']));
    expect(doc.paths['/oauth/userinfo']!['get']!.security).toEqual([{ accessToken: [] }]);
    expect(doc.paths['/admin/api/v1/clients/{clientId}']!['put']!.security).toEqual([{ adminToken: [] }]);
    expect(doc.paths['/.well-known/openid-configuration']!['get']!.security).toEqual([]);
  });

  it.skipIf(dialect === 'postgres' && !pg)('leaves the protocol error format alone (no Fastify validation errors)', async () => {
    const res = await fetch(`${server.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=a&grant_type=b' });
    expect(res.status).toBe(400);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body['error']).toBe('invalid_request');
    expect(body).not.toHaveProperty('statusCode');
  });

  it.skipIf(dialect !== 'sqlite')('renders the page from local assets with the page security headers', async () => {
    const res = await fetch(`${server.url}/docs/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-eval');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    const html = await res.text();
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThanOrEqual(4);
    for (const asset of assets) {
      expect(asset).not.toMatch(/^(https?:)?\/\//);
      const a = await fetch(new URL(asset, `${server.url}/docs/`));
      expect(a.status, asset).toBe(200);
      expect(a.headers.get('content-security-policy'), asset).toBe(csp);
      await a.arrayBuffer();
    }
    const json = await fetch(`${server.url}/docs/json`);
    expect(json.status).toBe(200);
    expect(((await json.json()) as OpenApi).paths).toEqual(doc.paths);
  });

  it.skipIf(dialect !== 'sqlite' || !existsSync(CHROMIUM))('Chromium renders it without a CSP violation', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    try {
      const page = await browser.newPage();
      const violations: string[] = [];
      page.on('console', (m) => {
        if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
      });
      await page.goto(`${server.url}/docs/`);
      await page.locator('.swagger-ui .info .title').filter({ hasText: 'Gatehouse' }).waitFor({ timeout: 20_000 });
      // Open an operation and its "try it out" form: the renderer styles what it opens too.
      await page.locator('.opblock-summary-path', { hasText: '/oauth/token' }).first().click();
      await page.getByRole('button', { name: 'Try it out' }).first().click();
      await page.locator('.opblock-summary-path', { hasText: '/admin/api/v1/clients/{clientId}' }).first().click();
      await page.getByRole('button', { name: 'Authorize' }).first().click();
      await page.locator('.modal-ux').waitFor();
      await page.screenshot({ path: 'test-artifacts/openapi-docs.png' }).catch(() => undefined);
      expect(violations).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
