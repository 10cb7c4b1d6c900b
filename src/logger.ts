import pino, { type DestinationStream, type Logger } from 'pino';

// Secrets and personal data never reach the logs, whatever a handler passes to the logger.
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["stripe-signature"]',
  'res.headers["set-cookie"]',
  'email',
  '*.email',
  'customer_email',
  '*.customer_email',
  'authorization',
  '*.authorization',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'favour' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
