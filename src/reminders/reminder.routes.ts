import express, { type Request, type RequestHandler, Router } from 'express';
import { z } from 'zod';
import { HttpError } from '../http/http-error.js';
import { clientKey, type RateLimit } from '../http/rate-limit.js';
import { parseInput } from '../http/validation.js';
import { pageSecurityHeaders } from '../pages/page.routes.js';
import { articleUrlFor } from '../publications/article-url.js';
import type { PublicationCache } from '../publications/publication-cache.js';
import { widgetSettingsOf } from '../publications/publication.service.js';
import { renderMessagePage } from '../pages/thanks.page.js';
import { PAGE_STRINGS, resolveLang } from '../widget/i18n.js';
import { widgetLang } from '../widget/widget.service.js';
import { renderReminderConfirmedPage, renderUnsubscribePage } from './reminder.page.js';
import type { ReminderService } from './reminder.service.js';

export interface ReminderRouteDeps {
  publications: PublicationCache;
  reminders: ReminderService;
  cors: RequestHandler;
  /** Per client, shared with the other hosted pages that may call Stripe or send mail. */
  pagesRateLimit: RateLimit;
}

/** POST /api/reminders, as JSON from the widget or as a form from the donate page. */
const signUpSchema = z
  .object({
    publication: z.string().min(1).max(63),
    email: z.string().trim().toLowerCase().pipe(z.email('must be an e-mail address').max(254, 'must be an e-mail address')),
    article_url: z.string().trim().min(1).max(490, 'must be at most 490 characters'),
    after_days: z.coerce.number('must be a number of days').int('must be a whole number of days').min(1).max(365).optional(),
    locale: z
      .string()
      .trim()
      .regex(/^[A-Z]{2,3}(-[A-Z0-9]{2,8})*$/i, 'must be a language tag such as en or it')
      .optional(),
  })
  .strict();

const tokenSchema = z.string().regex(/^[\w-]{43}$/);
const form = express.urlencoded({ extended: false, limit: '2kb', parameterLimit: 8 });

/** "Remind me later": the sign-up, the confirmation link, and unsubscribing (a page, and RFC 8058's one-click POST). */
export function reminderRoutes(deps: ReminderRouteDeps): Router {
  const router = Router();
  const tokenOf = (req: Request): string | undefined => {
    const raw = typeof req.query.token === 'string' ? req.query.token : req.body?.token;
    const token = tokenSchema.safeParse(raw);
    return token.success ? token.data : undefined;
  };
  const answerHtml = (status: number, body: string) => (res: express.Response) =>
    res.status(status).set({ 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' }).type('html').send(body);

  router.options('/api/reminders', deps.cors);
  router.post('/api/reminders', deps.cors, express.json({ limit: '4kb' }), form, async (req, res) => {
    await deps.pagesRateLimit.consume(clientKey(req));
    const isForm = req.is('application/x-www-form-urlencoded') === 'application/x-www-form-urlencoded';
    if (!isForm && !req.is('application/json')) {
      throw new HttpError(415, 'unsupported_media_type', 'Send application/json or an HTML form (application/x-www-form-urlencoded).');
    }
    const input = parseInput(signUpSchema, req.body, { email: 'invalid_email', article_url: 'invalid_article_url' });
    const publication = await deps.publications.bySlug(input.publication);
    if (!publication) throw new HttpError(404, 'unknown_publication', `No publication "${input.publication}".`, 'publication');
    const settings = widgetSettingsOf(publication).reminder;
    if (!settings.enabled) throw new HttpError(400, 'reminders_not_offered', `${publication.name} does not offer reminders.`);
    const articleUrl = articleUrlFor(publication, input.article_url).href;
    const lang = widgetLang(publication, input.locale);
    await deps.reminders.signUp(publication, {
      email: input.email,
      articleUrl,
      locale: lang,
      afterDays: input.after_days ?? settings.after_days,
    });
    if (!isForm) return res.status(202).json({ status: 'accepted' });
    // The donate page again, saying what happens next (the same whatever the address).
    const back = new URLSearchParams({ lang, article: articleUrl, reminder: 'asked' });
    res.redirect(303, `/donate/${publication.slug}?${back}#reminder`);
  });

  router.get('/reminders/confirm', pageSecurityHeaders, async (req, res) => {
    const token = tokenOf(req);
    const found = token ? await deps.reminders.confirm(token) : undefined;
    if (!found || found.reminder.unsubscribed_at) return invalid(req, res, found);
    const lang = widgetLang(found.publication, found.reminder.locale);
    answerHtml(200, renderReminderConfirmedPage(found.publication, lang, found.reminder.due_at, token!))(res);
  });

  router.get('/reminders/unsubscribe', pageSecurityHeaders, async (req, res) => {
    const token = tokenOf(req);
    const found = token ? await deps.reminders.lookup(token) : undefined;
    if (!found) return invalid(req, res, found);
    const lang = widgetLang(found.publication, found.reminder.locale);
    const state = found.reminder.unsubscribed_at ? 'done' : { email: found.reminder.email!, token: token! };
    answerHtml(200, renderUnsubscribePage(found.publication, lang, state))(res);
  });

  // The page's button, and mail programs' one-click unsubscribe (RFC 8058: the token in the URL, a form body).
  router.post('/reminders/unsubscribe', pageSecurityHeaders, form, async (req, res) => {
    const token = tokenOf(req);
    const found = token ? await deps.reminders.unsubscribe(token) : undefined;
    if (!found) return invalid(req, res, found);
    const lang = widgetLang(found.publication, typeof req.body?.lang === 'string' ? req.body.lang : found.reminder.locale);
    answerHtml(200, renderUnsubscribePage(found.publication, lang, 'done'))(res);
  });

  /** A link that no longer works: the address was erased, or the sign-up never confirmed in time. */
  function invalid(req: Request, res: express.Response, found: Awaited<ReturnType<ReminderService['lookup']>>) {
    if (found) {
      // Confirming after unsubscribing: say the reader is unsubscribed.
      const lang = widgetLang(found.publication, found.reminder.locale);
      return answerHtml(200, renderUnsubscribePage(found.publication, lang, 'done'))(res);
    }
    const asked = typeof req.query.lang === 'string' ? req.query.lang : typeof req.body?.lang === 'string' ? req.body.lang : undefined;
    const lang = resolveLang(asked) ?? resolveLang(req.acceptsLanguages()[0]) ?? 'en';
    const s = PAGE_STRINGS[lang];
    return answerHtml(410, renderMessagePage(s.manage_link_invalid, s.reminder_link_invalid, lang))(res);
  }

  return router;
}
