/**
 * The page-view path (issue 10, point 7): an article view reads the widget configuration and sends beacons;
 * neither should cost Postgres a statement per request.
 */
import type { KyselyPlugin } from 'kysely';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, widgetCountersOf } from '../../src/app.js';
import { rateLimitsIn } from '../../src/http/rate-limit.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/ops/metrics.js';
import { loadConfig } from '../../src/config.js';
import { createPublicationCache, PUBLICATIONS_CHANNEL } from '../../src/publications/publication-cache.js';
import { changePublication } from '../../src/publications/publication.service.js';
import { createTestApp, TEST_PUBLIC_URL, TEST_WEBHOOK_SECRET, type TestApp } from '../helpers/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

/** Counts every statement the app sends to the database. */
function countingPlugin(): KyselyPlugin & { statements: string[] } {
  const statements: string[] = [];
  return {
    statements,
    transformQuery(args) {
      statements.push(args.node.kind);
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
}

const beacon = (app: Parameters<typeof request>[0], i: number) =>
  request(app)
    .post('/api/events')
    .set('content-type', 'text/plain')
    .set('Origin', 'https://news.example')
    .send(
      JSON.stringify({
        publication: 'demo',
        type: i % 4 === 0 ? 'click' : 'impression',
        article_url: `https://news.example/story-${i % 3}`,
      }),
    );

describe('an article view', () => {
  it('reads the configuration and counts beacons from memory, writing the counts in one statement per flush', async () => {
    const counting = countingPlugin();
    const db = t.database.db.withPlugin(counting);
    const app = createApp({
      db,
      stripe: undefined,
      logger: createLogger('silent'),
      metrics: createMetrics(t.database.poolStats),
      config: { publicUrl: TEST_PUBLIC_URL, stripeWebhookSecret: TEST_WEBHOOK_SECRET },
    });
    expect((await request(app).get('/api/widget/demo')).status).toBe(200); // loads the publications once
    const afterFirst = counting.statements.length;
    for (let i = 0; i < 20; i++) expect((await request(app).get(`/api/widget/${i % 2 ? 'demo' : 'italia'}?lang=it`)).status).toBe(200);
    for (let i = 0; i < 30; i++) expect((await beacon(app, i)).status).toBe(202);
    expect(counting.statements.length, 'statements for 20 configs and 30 beacons').toBe(afterFirst);

    await widgetCountersOf(app).flush();
    expect(counting.statements.slice(afterFirst)).toEqual(['RawNode']);
    const { rows } = await t.database.db
      .selectFrom('widget_daily_counters')
      .select(['article_url'])
      .select((eb) => [eb.fn.sum<number>('impressions').as('impressions'), eb.fn.sum<number>('clicks').as('clicks')])
      .where('article_url', 'like', 'https://news.example/story-%')
      .groupBy('article_url')
      .orderBy('article_url')
      .execute()
      .then((list) => ({ rows: list.map((r) => ({ ...r, impressions: Number(r.impressions), clicks: Number(r.clicks) })) }));
    expect(rows).toEqual([
      { article_url: 'https://news.example/story-0', impressions: 7, clicks: 3 },
      { article_url: 'https://news.example/story-1', impressions: 7, clicks: 3 },
      { article_url: 'https://news.example/story-2', impressions: 8, clicks: 2 },
    ]);
    // A graceful stop writes what is held: counts stay exact across a restart.
    for (let i = 0; i < 5; i++) await beacon(app, 3 * i);
    await widgetCountersOf(app).stop();
    const story0 = await t.database.db
      .selectFrom('widget_daily_counters')
      .select((eb) => [eb.fn.sum<number>('impressions').as('impressions'), eb.fn.sum<number>('clicks').as('clicks')])
      .where('article_url', '=', 'https://news.example/story-0')
      .executeTakeFirstOrThrow();
    expect([Number(story0.impressions), Number(story0.clicks)]).toEqual([10, 5]);
  });

  it('sees a publication changed elsewhere (the CLI, another instance) as soon as the database announces it', async () => {
    const cache = createPublicationCache(t.database.db);
    const stop = await t.database.listen(PUBLICATIONS_CHANNEL, cache.invalidate);
    try {
      expect((await cache.bySlug('italia'))?.name).toBe('Il Favore');
      await changePublication(t.database.db, 'italia', { name: 'Il Favore Quotidiano' });
      const deadline = Date.now() + 2_000;
      while ((await cache.bySlug('italia'))?.name !== 'Il Favore Quotidiano' && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 5));
      expect((await cache.bySlug('italia'))?.name).toBe('Il Favore Quotidiano');
    } finally {
      await stop();
      await changePublication(t.database.db, 'italia', { name: 'Il Favore' });
    }
  });

  it('keeps at most a minute-old copy when no announcement arrives', async () => {
    let now = 0;
    const cache = createPublicationCache(t.database.db, () => now);
    expect((await cache.bySlug('demo'))?.name).toBe('The Demo Daily');
    await changePublication(t.database.db, 'demo', { name: 'The Demo Weekly' });
    try {
      now = 59_000;
      expect((await cache.bySlug('demo'))?.name).toBe('The Demo Daily');
      now = 61_000;
      expect((await cache.bySlug('demo'))?.name).toBe('The Demo Weekly');
    } finally {
      await changePublication(t.database.db, 'demo', { name: 'The Demo Daily' });
    }
  });

  it.runIf(process.env.DATABASE_URL)('limits beacons in memory even when other limits are shared through Postgres', async () => {
    const limits = rateLimitsIn(
      { kind: 'postgres', pool: t.database.pgPool! },
      { ...loadConfig({}).rateLimits, eventsPerIp: { points: 2, seconds: 60 } },
    );
    const key = `beacon-${Date.now()}`;
    await limits.eventsPerIp.consume(key);
    await limits.eventsPerIp.consume(key);
    await expect(limits.eventsPerIp.consume(key)).rejects.toMatchObject({ status: 429 });
    const { rows } = await t.database.pgPool!.query(`SELECT key FROM rate_limits WHERE key LIKE $1`, [`%${key}%`]);
    expect(rows).toEqual([]);
  });
});
