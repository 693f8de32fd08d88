import { afterEach, describe, expect, it } from 'vitest';
import Fastify, { type RouteOptions } from 'fastify';
import { Type } from '@sinclair/typebox';
import { documented } from '../schemas/documented.js';
import { registerOpenApi } from './openapi.js';

const SERVER = { issuer: 'http://localhost:3000', openapi: { enabled: true, ui: false, strict: false } } as Parameters<typeof registerOpenApi>[1];
const ci = process.env['CI'];

/** A route whose OpenAPI links name a response it does not document: @fastify/swagger cannot generate. */
async function brokenApp(strict: boolean) {
  const lines: string[] = [];
  const app = Fastify({ logger: { level: 'error', stream: { write: (l: string) => lines.push(l) } } });
  await registerOpenApi(app, { ...SERVER, openapi: { ...SERVER.openapi, strict } });
  app.route({
    method: 'GET',
    url: '/x',
    schema: documented({ summary: 'x', tags: ['x'], response: { 200: Type.Object({}) } }),
    links: { 201: { self: { operationId: 'x' } } },
    handler: async () => ({}),
  } as RouteOptions);
  return { app, lines };
}

describe('OpenAPI generation failure', () => {
  afterEach(() => {
    if (ci === undefined) delete process.env['CI'];
    else process.env['CI'] = ci;
  });

  it('is logged with its reason and, when strict, fails startup', async () => {
    const { app, lines } = await brokenApp(true);
    await expect(app.ready()).rejects.toThrow();
    expect(lines.join('')).toMatch(/"reason":"missing status code 201 in route \/x","msg":"OpenAPI document generation failed"/);
  });

  it('CI=true is strict whatever the config says', async () => {
    process.env['CI'] = 'true';
    const { app } = await brokenApp(false);
    await expect(app.ready()).rejects.toThrow();
  });

  it('otherwise leaves the server up and /openapi.json answers 503 in the OAuth error format', async () => {
    process.env['CI'] = 'false';
    const { app, lines } = await brokenApp(false);
    await app.ready();
    const res = await app.inject('/openapi.json');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ error: 'temporarily_unavailable' });
    expect(lines.join('')).toContain('OpenAPI document generation failed');
    await app.close();
  });
});
