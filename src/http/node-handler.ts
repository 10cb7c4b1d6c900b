import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Metrics } from '../ops/metrics.js';
import { errorBody, toHttpError } from './error-middleware.js';
import { HttpError } from './http-error.js';
import { redactUrl } from './redact.js';
import { logLevelOf, requestIdOf } from './request-logging.js';

/**
 * A handler on node:http for the few requests that must be cheap (each article view, each Stripe delivery):
 * it answers and says true, or says false and leaves the request to the next handler (in the end, Express).
 */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

/** The first of `handlers` that takes the request answers it. */
export const firstOf =
  (...handlers: NodeHandler[]): NodeHandler =>
  (req, res) =>
    handlers.some((handle) => handle(req, res));

/** Runs a request's work as Express would around a route: request id, one log line, timing, errors as JSON. */
export type Answer = (req: IncomingMessage, res: ServerResponse, route: string, work: (requestId: string) => Promise<void>) => void;

export function nodeAnswer(deps: { logger: Logger; metrics: Metrics }): Answer {
  const { logger, metrics } = deps;
  return (req, res, route, work) => {
    const started = performance.now();
    const id = requestIdOf(req, res);
    res.on('finish', () => {
      const seconds = (performance.now() - started) / 1000;
      metrics.httpDuration.observe({ method: req.method ?? '', route, status: String(res.statusCode) }, seconds);
      const level = logLevelOf(res.statusCode);
      if (logger.isLevelEnabled(level)) {
        logger[level](
          {
            req: { id, method: req.method, url: redactUrl(req.url ?? '') },
            res: { statusCode: res.statusCode },
            responseTime: Math.round(seconds * 1000),
          },
          'request completed',
        );
      }
    });
    work(id).catch((err: unknown) => {
      const httpError = toHttpError(err);
      if (httpError.status >= 500) {
        if (err instanceof HttpError) logger.warn({ code: httpError.code, req: { id } }, httpError.message);
        else logger.error({ err, req: { id } }, 'request failed');
      }
      if (res.headersSent) return void res.destroy();
      for (const [name, value] of Object.entries(httpError.headers ?? {})) res.setHeader(name, value);
      sendJson(res, httpError.status, JSON.stringify(errorBody(httpError, id)));
    });
  };
}

/** A JSON answer with its length (a string body goes out in one write with the headers). */
export function sendJson(res: ServerResponse, status: number, json: string): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(json) }).end(json);
}

/** The request body, at most `limit` bytes; a larger one is refused with 413 without reading it all. */
export function readBody(req: IncomingMessage, res: ServerResponse, limit: number): Promise<Buffer> {
  const tooLarge = () => {
    // The rest is not read: the connection closes after the answer.
    res.setHeader('Connection', 'close');
    return new HttpError(413, 'payload_too_large', 'The request body is too large.');
  };
  if (Number(req.headers['content-length'] ?? 0) > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.off('data', onData).resume();
      reject(tooLarge());
    };
    req.on('data', onData);
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
