/**
 * The one place errors become HTTP responses. OAuth errors go out as RFC 6749 §5.2 JSON with their status and
 * headers; framework 4xx errors become invalid_request; anything else is a 500 server_error whose details are
 * logged with the request id and never sent.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { OAuthError } from '../oauth/errors.js';

export function sendOAuthError(reply: FastifyReply, err: OAuthError): FastifyReply {
  for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
  return reply
    .code(err.status)
    .header('cache-control', 'no-store')
    .send({ error: err.error, error_description: err.description });
}

export function errorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err instanceof OAuthError) {
    if (err.detail || err.status >= 500) request.log.info({ error: err.error, detail: err.detail }, 'request refused');
    return sendOAuthError(reply, err);
  }
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const description =
      err.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? 'request body is too large'
        : err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? 'unsupported content type'
          : err.validation
            ? `invalid request: ${err.message}`
            : 'malformed request';
    // 413 stays 413 (RFC 9110); other client errors are the protocol's invalid_request.
    return reply
      .code(status === 413 ? 413 : 400)
      .header('cache-control', 'no-store')
      .send({ error: 'invalid_request', error_description: description });
  }
  request.log.error({ err }, 'unhandled error');
  return reply.code(500).header('cache-control', 'no-store').send({ error: 'server_error', error_description: 'internal error' });
}
