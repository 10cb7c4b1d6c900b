import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from '../../../src/cli/main.js';

// The CLI reads DATABASE_URL / DATA_DIR like the server; point it at a throw-away embedded database.
let dataDir: string;
const saved = { DATA_DIR: process.env.DATA_DIR, DATABASE_URL: process.env.DATABASE_URL };
beforeAll(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'favour-cli-'));
  process.env.DATA_DIR = dataDir;
  delete process.env.DATABASE_URL;
});
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
  Object.assign(process.env, saved);
  if (saved.DATABASE_URL === undefined) delete process.env.DATABASE_URL;
});

async function run(...args: string[]): Promise<{ out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const cli = buildCli({ out: (l) => out.push(l), err: (l) => err.push(l) }).exitOverride();
  await cli.parseAsync(['node', 'favour', ...args]);
  return { out: out.join('\n'), err: err.join('\n') };
}

describe('favour CLI', () => {
  it('migrates, then reports the database up to date', async () => {
    expect((await run('migrate')).out).toMatch(/applied: .*initial-schema/);
    expect((await run('migrate')).out).toBe('database is up to date');
  });

  it('adds, updates and lists publications', async () => {
    const added = await run(
      'publication',
      'add',
      'italia',
      '--name',
      'Il Favore',
      '--origin',
      'https://favore.example',
      '--currency',
      'eur:200:50000',
      '--presets',
      'eur:once:500,1000',
      '--locale',
      'it',
      '--time-zone',
      'Europe/Rome',
    );
    expect(added.out).toContain('added italia\tIl Favore\thttps://favore.example\teur 200-50000');

    await run('publication', 'update', 'italia', '--currency', 'eur', '--currency', 'usd:100:20000', '--intervals', 'once,month');
    const listed = JSON.parse((await run('publication', 'list', '--json')).out) as Array<Record<string, any>>;
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({
      slug: 'italia',
      name: 'Il Favore',
      intervals: ['once', 'month'],
      default_locale: 'it',
      time_zone: 'Europe/Rome',
    });
    expect(listed[0]!.currencies.eur).toEqual({ min: 200, max: 50000, presets: expect.objectContaining({ once: [500, 1000] }) });
    expect(listed[0]!.currencies.usd).toMatchObject({ min: 100, max: 20000 });
  });

  it('refuses to open the embedded database while another process holds it', async () => {
    writeFileSync(path.join(dataDir, 'favour.lock'), String(process.ppid));
    try {
      await expect(run('publication', 'list')).rejects.toThrow(/in use by process .*Stop it first/);
    } finally {
      rmSync(path.join(dataDir, 'favour.lock'), { force: true });
    }
    // A lock left behind by a process that no longer runs is taken over.
    writeFileSync(path.join(dataDir, 'favour.lock'), '999999999');
    expect((await run('publication', 'list')).out).toContain('slug');
  });

  it('creates, lists and revokes API keys, printing the key once', async () => {
    const created = await run('key', 'create', 'italia', '--label', 'finance');
    expect(created.out).toMatch(/^fav_[\w-]{32}$/);
    expect(created.err).toContain('cannot be shown again');
    const listed = (await run('key', 'list', 'italia')).out;
    expect(listed).toContain('finance');
    expect(listed).not.toContain(created.out);
    const prefix = created.out.slice(0, 12);
    expect((await run('key', 'revoke', prefix)).out).toBe('revoked 1 key');
    expect((await run('key', 'list')).out).toMatch(/finance\t\S+\t\S+\t\d{4}-/);
    await expect(run('key', 'revoke', prefix)).rejects.toThrow(/No live key/);
  });

  it('seeds a demo history through the webhook code path, repeatably', async () => {
    const seeded = await run('demo', 'seed', '--supporters', '12', '--seed', '42');
    expect(seeded.out).toMatch(/^seeded demo: 12 supporters, \d+ events \(\d+ applied\), 20 articles$/);
    const { openDatabase } = await import('../../../src/db/create-database.js');
    const database = await openDatabase({ databaseUrl: undefined, dataDir });
    try {
      const supporters = await database.db.selectFrom('supporters').select('email').execute();
      expect(supporters.length).toBe(12);
      const events = await database.db.selectFrom('stripe_events').select(['outcome']).execute();
      expect(events.filter((e) => e.outcome === 'applied').length).toBeGreaterThan(12);
      const payments = await database.db.selectFrom('payments').select('amount').execute();
      expect(payments.length).toBeGreaterThanOrEqual(12);
    } finally {
      await database.close();
    }
    // The same seed again adds nothing new: same event ids, all duplicates.
    expect((await run('demo', 'seed', '--supporters', '12', '--seed', '42')).out).toMatch(/\(0 applied\)/);
  }, 60_000);

  it('exports and erases a supporter from the command line', async () => {
    const { openDatabase } = await import('../../../src/db/create-database.js');
    const database = await openDatabase({ databaseUrl: undefined, dataDir });
    const someone = await database.db.selectFrom('supporters').select('email').orderBy('id').executeTakeFirstOrThrow();
    await database.close();
    const exported = JSON.parse((await run('supporter', 'export', 'demo', someone.email)).out) as {
      supporter: { email: string };
      payments: unknown[];
    };
    expect(exported.supporter.email).toBe(someone.email);
    expect(exported.payments.length).toBeGreaterThan(0);
    const erased = JSON.parse((await run('supporter', 'erase', 'demo', someone.email)).out) as { erased_at: string };
    expect(erased.erased_at).toBeTruthy();
    await expect(run('supporter', 'export', 'demo', someone.email)).rejects.toThrow(/No supporter/);
  });

  it('verifies and rebuilds the report rollups', async () => {
    const verified = await run('rollups', 'verify', 'demo');
    expect(verified.out.split('\n')).toEqual(
      expect.arrayContaining(['ok   payment_daily_totals', 'ok   article_monthly_totals', 'ok   variant_daily_funnel']),
    );
    expect(verified.out).not.toContain('FAIL');

    const { openDatabase } = await import('../../../src/db/create-database.js');
    const database = await openDatabase({ databaseUrl: undefined, dataDir });
    await sql`UPDATE article_monthly_funnel SET clicks = 1000000`.execute(database.db);
    await database.close();
    const printed: string[] = [];
    const cli = buildCli({ out: (l) => printed.push(l), err: (l) => printed.push(l) }).exitOverride();
    await expect(cli.parseAsync(['node', 'favour', 'rollups', 'verify', 'demo'])).rejects.toThrow(
      /1 rollup\(s\) differ .*favour rollups rebuild demo/,
    );
    expect(printed).toContainEqual(expect.stringMatching(/^FAIL article_monthly_funnel: \d+ rows differ$/));

    expect((await run('rollups', 'rebuild', 'demo')).out).toMatch(/^rebuilt the rollups of demo in \d+ ms$/);
    expect((await run('rollups', 'verify', 'demo')).out).not.toContain('FAIL');
    await expect(run('rollups', 'verify', 'nope')).rejects.toThrow(/No publication with slug "nope"/);
  }, 60_000);

  it('lists, shows and retries the events in the webhook inbox', async () => {
    const { openDatabase } = await import('../../../src/db/create-database.js');
    const { storeStripeEvent } = await import('../../../src/webhooks/webhook.service.js');
    const { checkoutSession, stripeEvent } = await import('../../helpers/stripe-objects.js');
    const gift = (id: string, amount: number) =>
      stripeEvent(
        'checkout.session.completed',
        checkoutSession({ id: `cs_${id}`, amount, publication: 'italia', article_url: 'https://favore.example/x' }),
        { id: `evt_${id}` },
      );
    const database = await openDatabase({ databaseUrl: undefined, dataDir });
    await storeStripeEvent(database.db, gift('cli_good', 1500));
    await storeStripeEvent(database.db, gift('cli_broken', -5)); // breaks a table constraint in its handler
    await database.close();

    const pending = (await run('events', 'list', '--pending')).out.split('\n');
    expect(pending[0]).toBe('id\ttype\tstatus\toutcome\tattempts\treceived\tnext attempt\terror');
    expect(pending.slice(1).map((l) => l.split('\t').slice(0, 3))).toEqual([
      ['evt_cli_broken', 'checkout.session.completed', 'pending'],
      ['evt_cli_good', 'checkout.session.completed', 'pending'],
    ]);
    await expect(run('events', 'retry')).rejects.toThrow(/--failed/);
    await expect(run('events', 'retry', 'evt_cli_good')).rejects.toThrow(/No failed event "evt_cli_good"/);

    // Retrying applies what is due in this process: the good one goes through, the broken one fails again.
    expect((await run('events', 'retry', '--failed')).out).toBe('retried 0; 1 still failing');
    expect(process.exitCode).toBe(1); // kept through closing the embedded database, which resets it
    process.exitCode = undefined;
    const failed = (await run('events', 'list', '--failed')).out.split('\n').slice(1);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatch(/^evt_cli_broken\tcheckout\.session\.completed\tfailed\t-\t1\t.+constraint/);
    const shown = JSON.parse((await run('events', 'show', 'evt_cli_good')).out) as Record<string, unknown>;
    expect(shown).toMatchObject({ id: 'evt_cli_good', status: 'applied', outcome: 'applied', attempts: 0 });
    expect((shown.payload as { id: string }).id).toBe('evt_cli_good');
    await expect(run('events', 'show', 'evt_nope')).rejects.toThrow(/No event "evt_nope"/);

    expect((await run('events', 'retry', 'evt_cli_broken')).out).toBe('retried 1; 1 still failing');
    process.exitCode = undefined;
    expect((await run('events', 'list', '--failed')).out).toMatch(/\tfailed\t-\t2\t/);
  });

  it('lists held events and keeps them held while Stripe cannot be asked', async () => {
    const { openDatabase } = await import('../../../src/db/create-database.js');
    const { storeStripeEvent } = await import('../../../src/webhooks/webhook.service.js');
    const { checkoutSession, stripeEvent } = await import('../../helpers/stripe-objects.js');
    const event = stripeEvent(
      'checkout.session.completed',
      checkoutSession({ id: 'cs_cli_old', amount: 1500, publication: 'italia', article_url: 'https://favore.example/x' }),
      { id: 'evt_cli_old' },
    );
    const database = await openDatabase({ databaseUrl: undefined, dataDir });
    await storeStripeEvent(database.db, { ...event, api_version: '2024-06-20' } as typeof event);
    await database.close();

    const held = (await run('events', 'list', '--held')).out.split('\n').slice(1);
    expect(held.map((l) => l.split('\t').slice(0, 3))).toEqual([
      ['evt_cli_old', 'checkout.session.completed', 'held:api_version_mismatch'],
    ]);
    const saved = process.env.STRIPE_SECRET_KEY;
    delete process.env.STRIPE_SECRET_KEY;
    try {
      const retried = await run('events', 'retry', 'evt_cli_old');
      expect(retried.out).toBe('released 0; 0 name objects gone from Stripe (ignored); 1 still held');
      expect(retried.err).toContain('evt_cli_old (api_version_mismatch): set STRIPE_SECRET_KEY');
      expect(process.exitCode).toBe(1);
    } finally {
      process.exitCode = undefined;
      if (saved !== undefined) process.env.STRIPE_SECRET_KEY = saved;
    }
  });

  it('refuses a duplicate slug and invalid settings with a clear message', async () => {
    await expect(run('publication', 'add', 'italia', '--name', 'Again', '--origin', 'https://x.example')).rejects.toThrow(/already exists/);
    await expect(run('publication', 'add', 'bad', '--name', 'Bad', '--origin', 'ftp://x.example')).rejects.toThrow(/origins\.0/);
    await expect(run('publication', 'update', 'missing', '--name', 'X')).rejects.toThrow(/No publication/);
  });
});
