// Redaction for what reaches the log from outside: request URLs and other services' messages. Both run on
// text anyone can send, so neither uses a pattern that can backtrack: a URL is taken apart by splitting,
// a message is read word by word (a regex with nested or adjacent unbounded repeats froze the server for
// minutes on one long URL).

/** Query keys whose values are personal or secret wherever they appear. */
const PERSONAL_QUERY_KEYS = new Set([
  'q',
  'query',
  'search',
  'email',
  'e-mail',
  'mail',
  'name',
  'phone',
  'address',
  'session_id',
  'token',
  'key',
  'api_key',
  'secret',
  'password',
  'signature',
  'code',
]);

// Long enough for any URL favour serves; a longer one is cut, so a 16 kB request line is not a 16 kB log line.
const MAX_LOGGED_URL = 1000;
const REDACTED = '[redacted]';

const looksLikeEmail = (text: string): boolean => text.includes('@') || text.toLowerCase().includes('%40');

function decodedKey(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' ')).toLowerCase();
  } catch {
    return raw.toLowerCase();
  }
}

/**
 * A request URL fit for the log: the path is kept (but a segment holding an e-mail address), and in the
 * query the values of personal keys (`q`, `email`, `session_id`, `token`, …) and any value holding an
 * e-mail address are replaced. Linear in the URL's length.
 */
export function redactUrl(url: string): string {
  const cut = url.length > MAX_LOGGED_URL ? url.slice(0, MAX_LOGGED_URL) : url;
  const mark = cut.indexOf('?');
  const path = mark === -1 ? cut : cut.slice(0, mark);
  const safePath = path
    .split('/')
    .map((segment) => (looksLikeEmail(segment) ? REDACTED : segment))
    .join('/');
  let result = safePath;
  if (mark !== -1) {
    const pairs = cut
      .slice(mark + 1)
      .split('&')
      .map((pair) => {
        const eq = pair.indexOf('=');
        if (eq === -1) return looksLikeEmail(pair) ? REDACTED : pair;
        const key = pair.slice(0, eq);
        const value = pair.slice(eq + 1);
        return value !== '' && (PERSONAL_QUERY_KEYS.has(decodedKey(key)) || looksLikeEmail(value)) ? `${key}=${REDACTED}` : pair;
      });
    result += `?${pairs.join('&')}`;
  }
  return cut === url ? result : `${result}…`;
}

/** Text from elsewhere (a Stripe error message) with every word that holds an e-mail address replaced. */
export function redactEmails(text: string): string {
  // `\S+` matches each run of non-space once and never fails part-way: linear time.
  return text.replace(/\S+/g, (word) => (looksLikeEmail(word) ? REDACTED : word));
}
