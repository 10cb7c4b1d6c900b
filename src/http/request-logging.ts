import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { redactUrl } from './redact.js';

/** The request's id: the caller's X-Request-Id when sane, else a new one; echoed back in the answer. */
export function requestIdOf(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && /^[\w.-]{1,64}$/.test(incoming) ? incoming : randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}

export const logLevelOf = (statusCode: number, err?: unknown): 'error' | 'warn' | 'info' =>
  err || statusCode >= 500 ? 'error' : statusCode >= 400 ? 'warn' : 'info';

/** One log line per request, tagged with a request id (taken from X-Request-Id when sane). */
export function requestLogging(logger: Logger) {
  return pinoHttp({
    logger,
    genReqId: requestIdOf,
    customLogLevel: (_req, res, err) => logLevelOf(res.statusCode, err),
    serializers: {
      // Only what helps operations; query strings carry what readers type (searches, e-mail addresses) and
      // session ids that must not be replayed from the log.
      req: (req: IncomingMessage & { id?: unknown }) => ({
        id: req.id,
        method: req.method,
        url: req.url === undefined ? undefined : redactUrl(req.url),
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });
}
