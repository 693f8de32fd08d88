/**
 * Route documentation for the generated OpenAPI document (issue 13). The request and response schemas here are
 * documentation only: Fastify never compiles them, because the endpoints validate their input themselves and
 * answer in the protocol's error format (RFC 6749 §5.2 JSON, HTML pages in the browser context), repeated
 * parameters included, and a response schema would re-serialise (and could strip) what a route sends.
 * Fastify compiles only `body`, `querystring`, `params`, `headers` and `response`; everything else on a route's
 * `schema` is left alone, so the documented shapes travel under DOCUMENTED and the OpenAPI transform
 * (openapiTransform) moves them into place when the document is generated.
 */
import type { FastifySchema } from 'fastify';
import type { TSchema } from '@sinclair/typebox';

export const DOCUMENTED = 'x-gatehouse-documented';

export interface RouteDoc {
  summary: string;
  description?: string;
  tags: string[];
  /** OpenAPI security requirements; `[]` for an endpoint that needs no credentials. */
  security?: Record<string, string[]>[];
  /** Extensions (x-…) copied onto the operation. */
  extensions?: Record<`x-${string}`, unknown>;
  body?: TSchema;
  consumes?: string[];
  querystring?: TSchema;
  params?: TSchema;
  headers?: TSchema;
  response: Record<string, TSchema>;
  produces?: string[];
}

/** A route's `schema` option: annotations Fastify ignores, with the request/response shapes kept for the document. */
export function documented(doc: RouteDoc): FastifySchema {
  const { summary, description, tags, security, extensions, ...shapes } = doc;
  return {
    summary,
    tags,
    ...(description ? { description } : {}),
    ...(security ? { security } : {}),
    ...extensions,
    [DOCUMENTED]: shapes,
  } as FastifySchema;
}

/** @fastify/swagger's `transform`: merges the documented shapes over whatever the route really compiles. */
export function openapiTransform({ schema, url }: { schema: FastifySchema; url: string }): { schema: FastifySchema; url: string } {
  if (!schema || !(DOCUMENTED in schema)) return { schema, url };
  const { [DOCUMENTED]: shapes, ...rest } = schema as Record<string, unknown>;
  return { schema: { ...rest, ...(shapes as object) } as FastifySchema, url };
}
