import type { z } from 'zod';
import { type ErrorCode, HttpError } from './http-error.js';

/**
 * Parses input with a zod schema; the first problem becomes a 400 naming the field, with a more
 * specific code for fields listed in `codes`.
 */
export function parseInput<T extends z.ZodType>(
  schema: T,
  input: unknown,
  codes: Partial<Record<string, ErrorCode>> = {},
  what = 'body',
): z.output<T> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.join(', ');
    throw new HttpError(400, 'invalid_request', `${what}: unknown field(s) ${keys}`, issue.keys[0]);
  }
  const field = issue.path.length > 0 ? issue.path.join('.') : undefined;
  const message = field ? `${field}: ${issue.message}` : `${what}: ${issue.message}`;
  throw new HttpError(400, (field && codes[field]) || 'invalid_request', message, field);
}
