import express, { type Request, type RequestHandler, Router } from 'express';
import helmet from 'helmet';
import type { PublicationRow } from '../db/tables/publication.table.js';
import type { Interval } from '../db/tables/publication.table.js';
import { HttpError } from '../http/http-error.js';
import { clientKey, isRateLimited, type RateLimit } from '../http/rate-limit.js';
import { articleUrlFor } from '../publications/article-url.js';
import type { PublicationCache } from '../publications/publication-cache.js';
import { widgetSettingsOf } from '../publications/publication.service.js';
import { fill, PAGE_STRINGS, resolveLang } from '../widget/i18n.js';
import { widgetLang } from '../widget/widget.service.js';
import { textColourOn } from './colour.js';
import { renderDemoPage } from './demo.page.js';
import { renderDonatePage } from './donate.page.js';
import type { GoalTracker } from '../goals/goal.service.js';
import { html, page } from './html.js';
import { accentProperties, PAGE_CSS } from './page-styles.js';
import { renderMessagePage, renderThanksPage } from './thanks.page.js';
import { PORTAL_PASS_SECONDS, type ThanksService } from './thanks.service.js';

export interface PageDeps {
  publications: PublicationCache;
  goals: GoalTracker;
  thanks: ThanksService;
  /** GET /thanks and POST /billing-portal per client. */
  pagesRateLimit: RateLimit;
  publicUrl: string;
}

const PORTAL_REFUSAL_STATUS = { unknown_session: 404, not_a_member: 409, other_browser: 403, stripe_failed: 502 } as const;

/** The one cookie favour sets: the billing-portal pass of the browser that paid. */
export const PORTAL_PASS_COOKIE = 'favour_portal_pass';

function portalPassCookie(pass: string, publicUrl: string): string {
  const secure = publicUrl.startsWith('https:') ? '; Secure' : '';
  return `${PORTAL_PASS_COOKIE}=${pass}; Max-Age=${PORTAL_PASS_SECONDS}; Path=/billing-portal; HttpOnly; SameSite=Lax${secure}`;
}

function portalPassOf(req: Request): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === PORTAL_PASS_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Strict CSP for every hosted page: our own scripts and styles only; forms may go on to Stripe. */
export const pageSecurityHeaders = helmet({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      formAction: ["'self'", 'https://checkout.stripe.com', 'https://billing.stripe.com'],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
      objectSrc: ["'none'"],
    },
  },
  crossOriginEmbedderPolicy: false,
});

const queryString = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** The :publication of a path; NUL, which no slug and no database text can hold, is refused as the database would. */
export function slugParam(req: Request): string {
  const slug = String(req.params.publication);
  if (slug.includes('\0'))
    throw new HttpError(400, 'invalid_request', 'The request contains characters that are not allowed (such as NUL).');
  return slug;
}

/** Server-rendered pages that work without JavaScript. */
export function pageRoutes(deps: PageDeps): Router {
  const router = Router();

  // Browsers ask for it on every page; an empty answer keeps their consoles clean.
  router.get('/favicon.ico', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=86400').status(204).end();
  });

  router.get('/assets/favour.css', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=3600').type('text/css').send(PAGE_CSS);
  });
  router.get('/assets/theme/:publication.css', async (req, res) => {
    const publication = await deps.publications.bySlug(slugParam(req));
    const accent = publication ? widgetSettingsOf(publication).accent : '#0b5cad';
    res
      .set('Cache-Control', 'public, max-age=300')
      .type('text/css')
      .send(accentProperties(accent, textColourOn(accent)));
  });

  router.get('/', pageSecurityHeaders, async (_req, res) => {
    const publications = await deps.publications.all();
    res.type('html').send(
      page(
        { title: 'favour' },
        html`<h1>favour</h1><p>Reader support for independent newsrooms.</p>
          <h2>Publications</h2>
          <ul>${publications.map((p) => html`<li><a href="/donate/${p.slug}">${p.name}</a> <span class="muted">(${p.slug})</span></li>`)}</ul>
          <p><a href="/demo">A sample article with the widget</a></p>
          <p class="muted">Health: <a href="/healthz">/healthz</a> · <a href="/readyz">/readyz</a> · <a href="/metrics">/metrics</a></p>`,
      ),
    );
  });

  router.get('/demo', pageSecurityHeaders, (req, res) => {
    res.type('html').send(renderDemoPage(queryString(req.query.publication)?.replace(/[^a-z0-9-]/g, '') || 'demo'));
  });

  router.get('/donate/:publication', pageSecurityHeaders, async (req, res) => {
    const publication = await deps.publications.bySlug(slugParam(req));
    const lang = publication
      ? widgetLang(publication, queryString(req.query.lang) ?? req.acceptsLanguages()[0])
      : (resolveLang(queryString(req.query.lang)) ?? 'en');
    if (!publication) {
      res
        .status(404)
        .type('html')
        .send(renderMessagePage('404', PAGE_STRINGS[lang].not_found, lang));
      return;
    }
    res.type('html').send(
      renderDonatePage(
        publication,
        {
          lang,
          interval: pick(queryString(req.query.interval), publication.intervals) as Interval,
          currency: pick(queryString(req.query.currency), Object.keys(publication.currencies), publication.default_currency),
          articleUrl: articleFrom(publication, queryString(req.query.article)),
          amount: Number(queryString(req.query.amount)) || undefined,
          reminderAsked: queryString(req.query.reminder) === 'asked',
        },
        await deps.goals.progressOf(publication),
      ),
    );
  });

  // Each may ask Stripe about a session: limited per client before anything else happens.
  const limitPages: RequestHandler = async (req, res, next) => {
    try {
      await deps.pagesRateLimit.consume(clientKey(req));
      next();
    } catch (err) {
      if (!isRateLimited(err)) throw err;
      const lang = resolveLang(queryString(req.query.lang)) ?? resolveLang(req.acceptsLanguages()[0]) ?? 'en';
      res
        .set((err as HttpError).headers ?? {})
        .status(429)
        .type('html');
      res.send(renderMessagePage(PAGE_STRINGS[lang].thanks_title, PAGE_STRINGS[lang].too_many_requests, lang));
    }
  };

  router.get('/thanks', pageSecurityHeaders, limitPages, async (req, res) => {
    const found = await deps.thanks.showThanks(queryString(req.query.session_id) ?? '', portalPassOf(req));
    const lang = found
      ? widgetLang(found.publication, queryString(req.query.lang) ?? found.locale ?? undefined)
      : (resolveLang(queryString(req.query.lang)) ?? 'en');
    if (found?.newPass) res.setHeader('Set-Cookie', portalPassCookie(found.newPass, deps.publicUrl));
    res
      .set('Cache-Control', 'no-store')
      .type('html')
      .send(renderThanksPage(found?.publication, found?.checkout, lang));
  });

  router.post(
    '/billing-portal',
    pageSecurityHeaders,
    limitPages,
    express.urlencoded({ extended: false, limit: '2kb', parameterLimit: 5 }),
    async (req, res) => {
      const sessionId = typeof req.body?.session_id === 'string' ? req.body.session_id : '';
      const outcome = await deps.thanks.openBillingPortal(sessionId, portalPassOf(req));
      if (outcome.kind === 'redirect') {
        res.redirect(303, outcome.url);
        return;
      }
      const lang = outcome.kind === 'unknown_session' ? 'en' : widgetLang(outcome.lookup.publication, outcome.lookup.locale ?? undefined);
      const strings = PAGE_STRINGS[lang];
      // Another browser is told how else to reach the portal; the other refusals have nothing to offer.
      const message =
        outcome.kind === 'other_browser'
          ? fill(strings.portal_other_browser, { name: outcome.lookup.publication.name })
          : strings.portal_unavailable;
      res.status(PORTAL_REFUSAL_STATUS[outcome.kind]).set('Cache-Control', 'no-store').type('html');
      res.send(renderMessagePage(strings.manage_membership, message, lang));
    },
  );

  return router;
}

function pick(value: string | undefined, allowed: string[], fallback = allowed[0]!): string {
  return value && allowed.includes(value) ? value : fallback;
}

/** The article the reader came from when it is one of the publication's; else the site's front page. */
function articleFrom(publication: PublicationRow, raw: string | undefined): string {
  if (raw) {
    try {
      return articleUrlFor(publication, raw).href;
    } catch {
      // Not one of the publication's pages: fall through to the front page.
    }
  }
  return `${publication.origins[0]}/`;
}
