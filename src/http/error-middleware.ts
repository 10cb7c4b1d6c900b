import type { ErrorRequestHandler, RequestHandler } from 'express';
import { HttpError } from './http-error.js';
import { isDatabaseUnavailable, isUnstorableInput } from '../db/database-errors.js';

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new HttpError(404, 'not_found', `No route for ${req.method} ${req.path}`));
};

/** Turns any error into `{ error: { code, message } }`; never sends a stack trace. */
export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const httpError = toHttpError(err);
  // Unexpected errors are logged with their stack; expected ones (Stripe down, not configured) briefly.
  // Client errors are not: the request line says enough, and a body parser's error carries the whole
  // body it could not parse, e-mail addresses included.
  if (httpError.status >= 500) {
    if (!(err instanceof HttpError)) req.log?.error({ err }, 'request failed');
    else req.log?.warn({ code: httpError.code }, httpError.message);
  }
  // Too late for an error answer (a download already under way): cut the connection, so the client
  // sees a failed transfer instead of waiting forever for the rest.
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (httpError.headers) res.set(httpError.headers);
  res.status(httpError.status).json(errorBody(httpError, req.id === undefined ? undefined : String(req.id)));
};

/** The JSON every error answer carries; a 5xx names the request id to quote to the operator. */
export function errorBody(httpError: HttpError, requestId: string | undefined): { error: Record<string, unknown> } {
  const body: Record<string, unknown> = { code: httpError.code, message: httpError.message };
  if (httpError.field) body.field = httpError.field;
  if (httpError.status >= 500 && requestId !== undefined) body.request_id = requestId;
  return { error: body };
}

/** Any error as the answer a client gets: an HttpError as it is, the database's and body parsers' mapped, else a 500. */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (isDatabaseUnavailable(err)) {
    return new HttpError(503, 'database_unavailable', 'The database is unreachable; try again shortly.');
  }
  if (isUnstorableInput(err)) {
    return new HttpError(400, 'invalid_request', 'The request contains characters that are not allowed (such as NUL).');
  }
  // Errors raised by Express's body parsers carry a status and a type.
  const parserError = err as { status?: number; type?: string; message?: string };
  if (parserError.type === 'entity.parse.failed') {
    return new HttpError(400, 'invalid_json', 'The request body is not valid JSON.');
  }
  if (parserError.type === 'entity.too.large') {
    return new HttpError(413, 'payload_too_large', 'The request body is too large.');
  }
  if (parserError.status && parserError.status >= 400 && parserError.status < 500) {
    return new HttpError(parserError.status, 'invalid_request', 'The request body could not be read.');
  }
  return new HttpError(500, 'internal_error', 'Something went wrong on our side.');
}
