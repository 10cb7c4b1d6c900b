const UNAVAILABLE_NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'EPIPE']);

/**
 * True when the database could not be reached at all (as opposed to a query that failed):
 * refused or dropped connections, pool timeouts, a server shutting down.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: string; message?: string; errors?: unknown[] };
  if (e.code && UNAVAILABLE_NETWORK_CODES.has(e.code)) return true;
  // 57P01-57P03: admin shutdown, crash shutdown, cannot connect now; 08xxx: connection exceptions.
  if (e.code && (/^57P0[123]$/.test(e.code) || e.code.startsWith('08'))) return true;
  const message = e.message ?? '';
  if (
    /timeout exceeded when trying to connect|Connection terminated|connect ECONNREFUSED|Client has encountered a connection error/i.test(
      message,
    )
  ) {
    return true;
  }
  // AggregateError from a failed connect to several addresses.
  return Array.isArray(e.errors) && e.errors.some(isDatabaseUnavailable);
}

/**
 * Serialization failures and deadlocks: a race with another transaction, which can simply run again. A unique
 * or foreign-key violation is not one of them: it is a bug, fixed where it arises.
 */
export function isRetryableTransactionError(err: unknown): boolean {
  const code = (err as { code?: string } | undefined)?.code;
  return code === '40001' || code === '40P01';
}

/**
 * Text from a request that Postgres cannot store or compare: a NUL character in a string (22021)
 * or "\u0000" in JSON (22P05). Only input can contain them, so the request is at fault (400), not
 * the service.
 */
export function isUnstorableInput(err: unknown): boolean {
  const code = (err as { code?: string } | undefined)?.code;
  return code === '22021' || code === '22P05';
}
