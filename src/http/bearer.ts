import type { FastifyRequest } from 'fastify';

/** The token of an `Authorization: Bearer …` header (RFC 6750 §2.1), if any. */
export function bearerToken(request: FastifyRequest): string | undefined {
  return request.headers.authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
}

/** The access token of an `Authorization: Bearer …` or `Authorization: DPoP …` (RFC 9449 §7.1) header, if any. */
export function authorizationToken(request: FastifyRequest): { scheme: 'Bearer' | 'DPoP'; token: string } | undefined {
  const m = request.headers.authorization?.match(/^(Bearer|DPoP)\s+(\S+)$/i);
  if (!m) return undefined;
  return { scheme: m[1]!.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer', token: m[2]! };
}
