import express, { type Request, Router } from 'express';
import { z } from 'zod';
import { HttpError } from '../http/http-error.js';
import { clientKey, type RateLimit } from '../http/rate-limit.js';
import { pageSecurityHeaders, slugParam } from '../pages/page.routes.js';
import { renderMessagePage } from '../pages/thanks.page.js';
import type { PublicationCache } from '../publications/publication-cache.js';
import { PAGE_STRINGS, resolveLang } from '../widget/i18n.js';
import type { WidgetLang } from '../widget/widget-config.js';
import { widgetLang } from '../widget/widget.service.js';
import { renderManageOpenPage, renderManageRequestPage } from './manage.page.js';
import type { ManageService } from './manage.service.js';

export interface ManageRouteDeps {
  publications: PublicationCache;
  manage: ManageService;
  /** Per client, shared with the other hosted pages that may call Stripe or send mail. */
  pagesRateLimit: RateLimit;
}

const emailSchema = z.email().max(254);
const tokenSchema = z.string().regex(/^[\w-]{43}$/);
const form = express.urlencoded({ extended: false, limit: '2kb', parameterLimit: 5 });

/** GET/POST /manage/:publication and /manage/:publication/open: a member manages the membership without an account. */
export function manageRoutes(deps: ManageRouteDeps): Router {
  const router = Router();

  const publicationOf = async (req: Request) => {
    const slug = slugParam(req);
    const publication = await deps.publications.bySlug(slug);
    if (!publication) throw new HttpError(404, 'unknown_publication', `No publication "${slug.slice(0, 63)}".`);
    return publication;
  };
  const langOf = (req: Request, fallback: string): WidgetLang => {
    const asked = typeof req.query.lang === 'string' ? req.query.lang : typeof req.body?.lang === 'string' ? req.body.lang : undefined;
    return resolveLang(asked) ?? resolveLang(req.acceptsLanguages()[0]) ?? (resolveLang(fallback) || 'en');
  };
  const limited = async (req: Request) => {
    await deps.pagesRateLimit.consume(clientKey(req));
  };

  router.get('/manage/:publication', pageSecurityHeaders, async (req, res) => {
    const publication = await publicationOf(req);
    res
      .set('Cache-Control', 'no-store')
      .type('html')
      .send(renderManageRequestPage(publication, langOf(req, publication.default_locale)));
  });

  router.post('/manage/:publication', pageSecurityHeaders, form, async (req, res) => {
    await limited(req);
    const publication = await publicationOf(req);
    const lang = langOf(req, publication.default_locale);
    const email = emailSchema.safeParse(
      String(req.body?.email ?? '')
        .trim()
        .toLowerCase(),
    );
    if (!email.success) throw new HttpError(400, 'invalid_request', 'email: must be an e-mail address.', 'email');
    await deps.manage.requestLink(publication, email.data, lang);
    res
      .set('Cache-Control', 'no-store')
      .type('html')
      .send(renderManageRequestPage(publication, lang, email.data));
  });

  router.get('/manage/:publication/open', pageSecurityHeaders, async (req, res) => {
    const publication = await publicationOf(req);
    const lang = widgetLang(publication, typeof req.query.lang === 'string' ? req.query.lang : undefined);
    const token = tokenSchema.safeParse(req.query.token);
    const valid = token.success && (await deps.manage.linkIsValid(publication, token.data));
    res
      .status(valid ? 200 : 410)
      .set({ 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' })
      .type('html')
      .send(renderManageOpenPage(publication, lang, valid ? token.data : undefined));
  });

  router.post('/manage/:publication/open', pageSecurityHeaders, form, async (req, res) => {
    await limited(req);
    const publication = await publicationOf(req);
    const lang = langOf(req, publication.default_locale);
    const token = tokenSchema.safeParse(req.body?.token);
    const outcome = token.success
      ? await deps.manage.openPortal(publication, token.data, `${publication.origins[0]}/`)
      : { kind: 'invalid' as const };
    if (outcome.kind === 'redirect') return res.redirect(303, outcome.url);
    res.set('Cache-Control', 'no-store').type('html');
    if (outcome.kind === 'invalid') return res.status(410).send(renderManageOpenPage(publication, lang, undefined));
    const strings = PAGE_STRINGS[lang];
    res.status(503).send(renderMessagePage(strings.manage_membership, strings.portal_unavailable, lang));
  });

  return router;
}
