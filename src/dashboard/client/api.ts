// The publisher API, same origin, with the key in the Authorization header (never in a URL).

export type Params = Record<string, string | number | boolean | undefined | null>;

/** A failed request: `status` 0 when the service could not be reached at all. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const isUnauthorized = (err: unknown): boolean => err instanceof ApiError && err.status === 401;

export function url(path: string, params: Params = {}): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '' && value !== false) query.set(name, String(value));
  }
  const qs = query.toString();
  return qs ? `${path}?${qs}` : path;
}

interface Send {
  method: 'POST' | 'DELETE';
  body?: unknown;
}

async function request(key: string, path: string, params: Params, accept: string, signal?: AbortSignal, send?: Send): Promise<Response> {
  let res: Response;
  const headers: Record<string, string> = { Authorization: `Bearer ${key}`, Accept: accept };
  if (send?.body !== undefined) headers['Content-Type'] = 'application/json';
  try {
    res = await fetch(url(path, params), {
      headers,
      credentials: 'omit', // the API answers Cache-Control: private, no-store
      ...(send ? { method: send.method, ...(send.body === undefined ? {} : { body: JSON.stringify(send.body) }) } : {}),
      ...(signal ? { signal } : {}),
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'network_error', 'Could not reach the service. Check your connection and try again.');
  }
  if (!res.ok) {
    let code = 'http_error';
    let message = `The service answered ${res.status}.`;
    try {
      const body = (await res.json()) as { error?: { code?: string; message?: string } };
      if (body.error?.code) code = body.error.code;
      if (body.error?.message) message = body.error.message;
    } catch {
      // Not our JSON error (a proxy's page): keep the status.
    }
    throw new ApiError(res.status, code, message);
  }
  return res;
}

export interface Api {
  get<T>(path: string, params?: Params, signal?: AbortSignal): Promise<T>;
  /** A change (POST with an optional JSON body, or DELETE): the JSON answer, or undefined for 204. */
  send<T>(method: Send['method'], path: string, body?: unknown): Promise<T | undefined>;
  /** Fetches a file (CSV): its bytes exactly as sent, BOM included, and the server's file name. */
  download(path: string, params: Params, fallbackName: string): Promise<{ blob: Blob; filename: string }>;
}

export function createApi(key: string): Api {
  return {
    async get<T>(path: string, params: Params = {}, signal?: AbortSignal): Promise<T> {
      const res = await request(key, path, params, 'application/json', signal);
      return (await res.json()) as T;
    },
    async send<T>(method: Send['method'], path: string, body?: unknown): Promise<T | undefined> {
      const res = await request(key, path, {}, 'application/json', undefined, { method, body });
      return res.status === 204 ? undefined : ((await res.json()) as T);
    },
    async download(path, params, fallbackName) {
      const res = await request(key, path, params, 'text/csv');
      const blob = await res.blob();
      return { blob, filename: filenameOf(res.headers.get('content-disposition')) ?? fallbackName };
    },
  };
}

/** The file name of `Content-Disposition: attachment; filename="demo-supporters.csv"`. */
export function filenameOf(header: string | null): string | undefined {
  const match = header ? /filename="?([^";]+)"?/i.exec(header) : null;
  const name = match?.[1]?.trim();
  return name && /^[\w.-]+$/.test(name) ? name : undefined;
}
