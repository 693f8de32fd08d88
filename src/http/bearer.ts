import type { FastifyRequest } from 'fastify';

/** The token of an `Authorization: Bearer …` header (RFC 6750 §2.1), if any. */
export function bearerToken(request: FastifyRequest): string | undefined {
  return request.headers.authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
}
