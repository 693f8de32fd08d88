/**
 * The one place errors become HTTP responses. OAuth errors go out as RFC 6749 §5.2 JSON with their status and
 * headers; framework 4xx errors become invalid_request; anything else is a 500 server_error whose details are
 * logged with the request id and never sent. Browser routes get the same decisions as an HTML page. Framework
 * errors raised before routing (bad URL encoding) and unknown routes come through here too, so no Fastify
 * error code or echoed URL ever reaches a client.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { InteractionInvalid } from '../authorize/interaction.js';
import { OAuthError } from '../oauth/errors.js';
import { isBrowserPath, sendErrorPage } from './plugins/browser.js';

/** The RFC 6749 error code each error response carried, for the metrics hook (plugins/metrics.ts). */
const sentErrors = new WeakMap<FastifyReply, string>();
export const oauthErrorOf = (reply: FastifyReply): string | undefined => sentErrors.get(reply);

export function sendOAuthError(reply: FastifyReply, err: OAuthError): FastifyReply {
  sentErrors.set(reply, err.error);
  for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
  return reply
    .code(err.status)
    .header('cache-control', 'no-store')
    .send({ error: err.error, error_description: err.description });
}

export function errorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  // A browser path no route matched (a mangled interaction id) still gets the page, never JSON.
  if (isBrowserPath(request.url)) return browserErrorHandler(err, request, reply);
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
    sentErrors.set(reply, 'invalid_request');
    return reply
      .code(status === 413 ? 413 : 400)
      .header('cache-control', 'no-store')
      .send({ error: 'invalid_request', error_description: description });
  }
  request.log.error({ err }, 'unhandled error');
  sentErrors.set(reply, 'server_error');
  return reply.code(500).header('cache-control', 'no-store').send({ error: 'server_error', error_description: 'internal error' });
}

/** The browser context's mapper: the same decisions as errorHandler, rendered as the HTML error page. */
export function browserErrorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err instanceof InteractionInvalid) return sendErrorPage(reply, 400, 'Cannot continue', err.message);
  if (err instanceof OAuthError) return sendErrorPage(reply, err.status >= 500 ? 500 : 400, 'Invalid request', err.description);
  const status = err.statusCode ?? 500;
  if (status < 500) return sendErrorPage(reply, status === 413 ? 413 : 400, 'Invalid request', 'The request could not be read.');
  request.log.error({ err }, 'unhandled error');
  return sendErrorPage(reply, 500, 'Something went wrong', 'Please try again later.');
}

/** Fastify's frameworkErrors hook (bad URL encoding, async constraint failures): never its default JSON. */
export function frameworkErrorHandler(_err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const malformed = Object.assign(new Error('malformed request'), { statusCode: 400 }) as FastifyError;
  return isBrowserPath(request.url) ? browserErrorHandler(malformed, request, reply) : errorHandler(malformed, request, reply);
}

/** Unknown routes and unsupported methods: an HTML page under the browser paths, JSON elsewhere. */
export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (isBrowserPath(request.url)) return sendErrorPage(reply, 404, 'Not found', 'This page does not exist.');
  return reply.code(404).header('cache-control', 'no-store').send({ error: 'not_found', error_description: 'no such endpoint' });
}

/**
 * Errors Node raises before there is a request (unparseable request line or headers, header or request
 * timeout): the protocol's JSON instead of Fastify's, then the connection closes, as Node itself would.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
  const body = JSON.stringify({ error: 'invalid_request', error_description: status === 408 ? 'request timed out' : 'malformed request' });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nCache-Control: no-store\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
