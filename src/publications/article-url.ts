import type { PublicationRow } from '../db/tables/publication.table.js';
import { HttpError } from '../http/http-error.js';

// Campaign and click ids would split one article into many in reports; our own return markers too.
const TRACKING_PARAM = /^(?:utm_\w+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|_ga|favour(?:-\w+)?)$/i;

/**
 * Checks that an article URL is an http(s) page on one of the publication's sites (which also keeps
 * checkout from being an open redirect) and normalises it for attribution: no fragment, no tracking
 * parameters.
 */
export function articleUrlFor(publication: Pick<PublicationRow, 'name' | 'origins'>, raw: string, field = 'article_url'): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new HttpError(400, 'invalid_article_url', `${field}: must be an absolute http(s) URL.`, field);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new HttpError(400, 'invalid_article_url', `${field}: must be an http(s) URL.`, field);
  }
  if (url.username || url.password || !publication.origins.includes(url.origin)) {
    throw new HttpError(
      400,
      'invalid_article_url',
      `${field}: must be on one of ${publication.name}'s sites: ${publication.origins.join(', ')}.`,
      field,
    );
  }
  url.hash = '';
  // Most article URLs have no query: reading searchParams would build one for nothing.
  if (url.search) for (const key of [...url.searchParams.keys()]) if (TRACKING_PARAM.test(key)) url.searchParams.delete(key);
  return url;
}
