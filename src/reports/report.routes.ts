import express, { Router } from 'express';
import { z } from 'zod';
import type { Db } from '../db/database.js';
import type { BatchSource } from '../db/read-in-batches.js';
import { measureGoal } from '../goals/goal.service.js';
import { requireApiKey } from '../http/api-key-auth.js';
import { goalOf } from '../publications/publication.service.js';
import { HttpError } from '../http/http-error.js';
import { parseInput } from '../http/validation.js';
import { eraseSupporterByEmail, exportSupporter } from '../supporters/supporter-privacy.service.js';
import { DONATION_CSV_HEADER, donationCsvLine, streamCsv, SUPPORTER_CSV_HEADER, supporterCsvLines } from './csv-export.js';
import { donationExportRows, donations, supporterExportRows, supporters } from './report-lists.service.js';
import {
  articlesQuerySchema,
  donationsQuerySchema,
  rangeQuerySchema,
  supportersQuerySchema,
  timeseriesQuerySchema,
} from './report-query.schema.js';
import { articles, type ReportContext, reportContextFor, summary, timeseries } from './report.service.js';

const emailSchema = z.object({ email: z.email('must be an e-mail address').max(254), publication: z.string().max(63).optional() }).strict();

/** The publisher API: reports, CSV exports and privacy requests, each scoped to the API key's publication. */
export function reportRoutes(deps: { db: Db; now: () => Date; pgPool?: BatchSource['pgPool'] }): Router {
  const router = Router();
  const auth = requireApiKey(deps.db, deps.now);

  async function context(res: express.Response): Promise<ReportContext> {
    const ctx = await reportContextFor(deps.db, res.locals.apiKey!.publicationId, deps.now());
    res.set('Cache-Control', 'private, no-store');
    return ctx;
  }

  router.get('/api/reports/summary', auth, async (req, res) => {
    const query = parseInput(rangeQuerySchema.strict(), req.query, {}, 'query');
    res.json(await summary(await context(res), query));
  });

  // The goal meter as the widget shows it, measured now (the widget's figure may be up to a minute older).
  router.get('/api/reports/goal', auth, async (req, res) => {
    parseInput(z.object({}).strict(), req.query, {}, 'query');
    const ctx = await context(res);
    const goal = goalOf(ctx.publication);
    res.json({ goal: goal ? await measureGoal(ctx.db, ctx.publication, goal, ctx.now) : null });
  });

  router.get('/api/reports/timeseries', auth, async (req, res) => {
    const query = parseInput(timeseriesQuerySchema, req.query, {}, 'query');
    res.json(await timeseries(await context(res), query));
  });

  router.get('/api/reports/supporters', auth, async (req, res) => {
    const query = parseInput(supportersQuerySchema, req.query, {}, 'query');
    res.json(await supporters(await context(res), query));
  });

  router.get('/api/reports/donations', auth, async (req, res) => {
    const query = parseInput(donationsQuerySchema, req.query, {}, 'query');
    res.json(await donations(await context(res), query));
  });

  router.get('/api/reports/articles', auth, async (req, res) => {
    const query = parseInput(articlesQuerySchema, req.query, {}, 'query');
    res.json(await articles(await context(res), query));
  });

  router.get('/api/reports/supporters.csv', auth, async (req, res) => {
    const query = parseInput(supportersQuerySchema, req.query, {}, 'query');
    const ctx = await context(res);
    const rows = supporterExportRows(deps, ctx, query);
    await streamCsv(res, `${ctx.publication.slug}-supporters.csv`, SUPPORTER_CSV_HEADER, rows, supporterCsvLines);
  });

  router.get('/api/reports/donations.csv', auth, async (req, res) => {
    const query = parseInput(donationsQuerySchema, req.query, {}, 'query');
    const ctx = await context(res);
    const { range, rows } = donationExportRows(deps, ctx, query);
    await streamCsv(res, `${ctx.publication.slug}-donations-${range.from}-${range.to}.csv`, DONATION_CSV_HEADER, rows, donationCsvLine);
  });

  router.get('/api/supporters/export', auth, async (req, res) => {
    const { email } = parseInput(emailSchema, req.query, {}, 'query');
    const ctx = await context(res);
    const record = await exportSupporter(deps.db, ctx.publication, email);
    if (!record) throw new HttpError(404, 'not_found', 'email: no supporter with this e-mail in this publication.', 'email');
    res.json(record);
  });

  router.post('/api/supporters/erase', auth, express.json({ limit: '4kb' }), async (req, res) => {
    const { email } = parseInput(emailSchema, req.body);
    const ctx = await context(res);
    const result = await eraseSupporterByEmail(deps.db, ctx.publication, email, ctx.now);
    if (!result) throw new HttpError(404, 'not_found', 'email: no supporter with this e-mail in this publication.', 'email');
    res.json(result);
  });

  return router;
}
