/** OpenAPI documentation of discovery, keys, health, metrics and the stylesheet. */
import { Type } from '@sinclair/typebox';
import { OAuthErrorBody } from './common.js';
import { documented } from './documented.js';

const publicGet = (summary: string, tags: string[], description: string, ok: ReturnType<typeof Type.Object> | ReturnType<typeof Type.String>, produces?: string[]) =>
  documented({ summary, description, tags, security: [], ...(produces ? { produces } : {}), response: { 200: ok } });

const Metadata = (description: string) => Type.Object({ issuer: Type.String() }, { description, additionalProperties: true });

export const openidConfigurationSchema = publicGet('OpenID Provider metadata', ['Discovery'], 'OpenID Connect Discovery 1.0 §4', Metadata('provider metadata'));
export const oauthMetadataSchema = publicGet('Authorization server metadata', ['Discovery'], 'RFC 8414 §3', Metadata('authorization server metadata'));
export const jwksSchema = publicGet(
  'JSON Web Key Set',
  ['Discovery'],
  'RFC 7517 §5: the public signing keys (current and next).',
  Type.Object({ keys: Type.Array(Type.Object({ kty: Type.String(), kid: Type.String() }, { additionalProperties: true })) }, { description: 'JWK set' }),
  ['application/jwk-set+json'],
);
export const healthzSchema = publicGet('Liveness', ['Operations'], 'The process answers.', Type.Object({ status: Type.String() }, { description: 'alive' }));
export const readyzSchema = documented({
  summary: 'Readiness',
  description: 'The database answers and the server is not shutting down; Redis down is reported as degraded, still 200.',
  tags: ['Operations'],
  security: [],
  response: {
    200: Type.Object({ status: Type.String(), redis: Type.Optional(Type.String()) }, { description: 'ready' }),
    503: Type.Object({ status: Type.String() }, { description: 'not ready' }),
  },
});
export const metricsSchema = documented({
  summary: 'Prometheus metrics',
  description: 'Answered only to the addresses in server.metrics.allowFrom.',
  tags: ['Operations'],
  security: [],
  produces: ['text/plain'],
  response: { 200: Type.String({ description: 'Prometheus text exposition format' }), 404: OAuthErrorBody },
});
export const stylesheetSchema = publicGet('Stylesheet of the pages', ['Operations'], 'The CSS of the sign-in, consent and logout pages.', Type.String({ description: 'CSS' }), ['text/css']);
export const openapiDocumentSchema = documented({
  summary: 'This OpenAPI document',
  description: 'OpenAPI 3.1, generated from the route schemas when the server starts.',
  tags: ['Operations'],
  security: [],
  response: {
    200: Type.Object({ openapi: Type.String() }, { description: 'OpenAPI 3.1', additionalProperties: true }),
    503: { ...OAuthErrorBody, description: 'the document could not be generated (the log says why)' },
  },
});
