import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';

// Also percent-encoded ("%40"), as browsers and URLSearchParams send an address in a query string
// (found by the hardening log test: /api/supporters/export?email=a%40b.example was logged as is).
const EMAIL_IN_TEXT = /[^\s/?&=]+(?:@|%40)[^\s/?&=]+\.[a-z]{2,}/gi;

/** Text with every e-mail address replaced, for messages from elsewhere (Stripe errors) that reach the log. */
export const redactEmails = (text: string): string => text.replace(EMAIL_IN_TEXT, '[redacted]');

/** One log line per request, tagged with a request id (taken from X-Request-Id when sane). */
export function requestLogging(logger: Logger) {
  return pinoHttp({
    logger,
    genReqId(req, res) {
      const incoming = req.headers['x-request-id'];
      const id = typeof incoming === 'string' && /^[\w.-]{1,64}$/.test(incoming) ? incoming : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    customLogLevel(_req, res, err) {
      if (err || res.statusCode >= 500) return 'error';
      if (res.statusCode >= 400) return 'warn';
      return 'info';
    },
    serializers: {
      // Only what helps operations; query strings can carry e-mail addresses typed by readers.
      req: (req: IncomingMessage & { id?: unknown }) => ({
        id: req.id,
        method: req.method,
        url: req.url === undefined ? undefined : redactEmails(req.url),
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });
}
