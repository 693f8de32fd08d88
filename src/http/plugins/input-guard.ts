/**
 * One edge check for control characters in every input a route reads: query, path parameters and the parsed
 * body (forms and JSON, nested). PostgreSQL cannot store NUL in text (it answered 500), and control characters
 * in identifiers and URIs only ever serve log, header or parser confusion. The error is the protocol's
 * invalid_request; the context's error handler renders it as JSON or as the HTML error page.
 */
import type { FastifyInstance } from 'fastify';
import { InvalidRequest } from '../../oauth/errors.js';
import { controlCharacterProblem } from '../../oauth/params.js';

export function registerInputGuard(app: FastifyInstance): void {
  // preValidation runs after body parsing and before any schema or handler reads the input.
  app.addHook('preValidation', (request, _reply, done) => {
    const key =
      controlCharacterProblem(request.params, true) ??
      controlCharacterProblem(request.query) ??
      controlCharacterProblem(request.body);
    if (key === undefined) return done();
    done(new InvalidRequest(key ? `parameter ${key} contains a control character` : 'a parameter name contains a control character'));
  });
}
