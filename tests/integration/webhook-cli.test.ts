/**
 * `favour webhook …` as an operator uses it, on the database the CLI is configured with (the embedded one under a
 * throw-away DATA_DIR, or a fresh Postgres database when DATABASE_URL is set), against a real HTTP receiver on
 * 127.0.0.1 (WEBHOOKS_ALLOW_PRIVATE=true). Commands run in-process through buildCli with stdout/stderr captured, as in
 * tests/unit/cli/favour-cli.test.ts; the two refusals also run as a real process, for their exit code and stderr.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from '../../src/cli/main.js';
import { cliApplier } from '../../src/cli/cli-database.js';
import { openDatabase, type DatabaseHandle } from '../../src/db/create-database.js';
import type { Db } from '../../src/db/database.js';
import { createLogger } from '../../src/logger.js';
import { createWebhookDeliverer } from '../../src/outbound-webhooks/webhook-deliverer.js';
import { storeStripeEvent } from '../../src/webhooks/webhook.service.js';
import { startReceiver, type TestReceiver } from '../helpers/http-receiver.js';
import { checkoutSession, stripeEvent } from '../helpers/stripe-objects.js';
import { seedPublications } from '../helpers/test-app.js';
import { createTestDatabase } from '../helpers/test-database.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const ENV_KEYS = ['DATA_DIR', 'DATABASE_URL', 'WEBHOOKS_ALLOW_PRIVATE'] as const;
const saved = Object.fromEntries(ENV_KEYS.map((key) => [key, process.env[key]]));
let dataDir: string;
/** Set when DATABASE_URL is: a fresh Postgres database for this file, dropped at the end. */
let postgres: (DatabaseHandle & { url: string | undefined }) | undefined;

let receiver: TestReceiver;

/** The database the CLI uses, for what the operator's server would do meanwhile (the embedded one is opened only between commands). */
async function withDatabase<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  if (postgres) return fn(postgres.db);
  const handle = await openDatabase({ databaseUrl: undefined, dataDir });
  try {
    return await fn(handle.db);
  } finally {
    await handle.close();
  }
}

/** One command in-process: stdout and stderr lines captured; a failure rejects with the error runCli would print. */
async function run(...args: string[]): Promise<{ out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const cli = buildCli({ out: (l) => out.push(l), err: (l) => err.push(l) }).exitOverride();
  await cli.parseAsync(['node', 'favour', ...args]);
  return { out, err };
}

/** The rejection of a command that should fail, checked to be one plain line: no stack, no error class. */
async function failure(...args: string[]): Promise<string> {
  const error = await run(...args).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error, `favour ${args.join(' ')} should fail`).toBeInstanceOf(Error);
  const { message } = error as Error;
  expect(message).not.toContain('\n');
  expect(message).not.toMatch(/\bat .+:\d+:\d+|Error:/);
  return message;
}

/** One command as a real process (node + tsx, as `favour` runs the compiled code): exit code, stdout, stderr. */
function runProcess(args: string[], env: Record<string, string>) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Rows of a tab-separated listing (its header first), as arrays of cells. */
const rows = (lines: string[]) => lines.map((line) => line.split('\t'));

/** Runs the deliverer until nothing is due at `at`, as the server's would (local targets allowed). */
async function deliverDue(db: Db, at: Date = new Date()): Promise<void> {
  const deliverer = createWebhookDeliverer({
    db,
    logger: createLogger('silent'),
    policy: { allowPrivate: true, requireHttps: false },
    now: () => at,
    pollMs: 0,
    timeoutMs: 2_000,
  });
  await deliverer.drain();
  await deliverer.stop();
}
const deliverAll = () => withDatabase((db) => deliverDue(db));

beforeAll(async () => {
  receiver = await startReceiver();
  dataDir = mkdtempSync(path.join(tmpdir(), 'favour-webhook-cli-'));
  process.env.DATA_DIR = dataDir;
  process.env.WEBHOOKS_ALLOW_PRIVATE = 'true';
  if (process.env.DATABASE_URL) {
    postgres = await createTestDatabase();
    process.env.DATABASE_URL = postgres.url;
  } else {
    delete process.env.DATABASE_URL;
    await run('migrate');
  }
  await withDatabase((db) => seedPublications({ db } as DatabaseHandle));
});
afterAll(async () => {
  await receiver?.close();
  await postgres?.close();
  rmSync(dataDir, { recursive: true, force: true });
  for (const key of ENV_KEYS) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
});

describe('favour webhook', () => {
  let endpointId = '';
  let secret = '';

  it('adds an endpoint, printing its id and secret on stdout and a note on stderr', async () => {
    const added = await run(
      'webhook',
      'add',
      'demo',
      receiver.url('/crm'),
      '--events',
      'supporter.created, payment.succeeded',
      '--description',
      'CRM sync',
    );
    expect(added.out).toHaveLength(2);
    const [idLine, secretLine] = rows(added.out);
    expect(idLine).toEqual(['id', expect.stringMatching(/^we_[0-9a-f]{24}$/)]);
    expect(secretLine).toEqual(['secret', expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/)]);
    endpointId = idLine![1]!;
    secret = secretLine![1]!;
    expect(added.err.join('\n')).toContain(`Endpoint ${endpointId} for demo takes supporter.created, payment.succeeded`);
    expect(added.err.join('\n')).toContain('cannot be shown again');
  });

  it('lists the endpoint as enabled with its events, for all publications and for its own', async () => {
    const header = ['id', 'publication', 'status', 'url', 'events', 'pending', 'failed', 'last delivered', 'failing since', 'description'];
    const all = rows((await run('webhook', 'list')).out);
    expect(all).toEqual([
      header,
      [endpointId, 'demo', 'enabled', receiver.url('/crm'), 'supporter.created,payment.succeeded', '0', '0', '-', '-', 'CRM sync'],
    ]);
    expect(rows((await run('webhook', 'list', 'demo')).out)).toEqual(all);
    expect(rows((await run('webhook', 'list', 'italia')).out)).toEqual([header]);
    expect((await run('webhook', 'list', 'demo')).out.join('\n')).not.toContain(secret);
    expect(await failure('webhook', 'list', 'nope')).toBe('No publication with slug "nope".');
  });

  it('refuses an unknown event type and an unsafe URL with one plain line', async () => {
    expect(await failure('webhook', 'add', 'demo', receiver.url(), '--events', 'payment.succeeded,payment.nope')).toMatch(
      /^Unknown event type\(s\) payment\.nope; known: supporter\.created, /,
    );
    process.env.WEBHOOKS_ALLOW_PRIVATE = 'false';
    try {
      expect(await failure('webhook', 'add', 'demo', 'http://169.254.169.254/latest/meta-data')).toBe(
        'http://169.254.169.254/latest/meta-data: 169.254.169.254 is a link-local address (set WEBHOOKS_ALLOW_PRIVATE=true to allow it)',
      );
      expect(await failure('webhook', 'add', 'demo', receiver.url())).toMatch(/is a loopback address \(set WEBHOOKS_ALLOW_PRIVATE=true/);
    } finally {
      process.env.WEBHOOKS_ALLOW_PRIVATE = 'true';
    }
    expect(await failure('webhook', 'add', 'nope', receiver.url())).toBe('No publication with slug "nope".');
    // Nothing was added by the refusals.
    expect((await run('webhook', 'list')).out).toHaveLength(2);
  });

  it('exits 1 on a refusal, with only the message on stderr and nothing on stdout', () => {
    const env = { DATA_DIR: dataDir, DATABASE_URL: postgres?.url ?? '' };
    const unsafe = runProcess(['webhook', 'add', 'demo', 'http://169.254.169.254/'], { ...env, WEBHOOKS_ALLOW_PRIVATE: 'false' });
    expect(unsafe.status, unsafe.stderr).toBe(1);
    expect(unsafe.stdout).toBe('');
    expect(unsafe.stderr).toBe(
      'http://169.254.169.254/: 169.254.169.254 is a link-local address (set WEBHOOKS_ALLOW_PRIVATE=true to allow it)\n',
    );
    const unknown = runProcess(['webhook', 'add', 'demo', receiver.url(), '--events', 'payment.nope'], {
      ...env,
      WEBHOOKS_ALLOW_PRIVATE: 'true',
    });
    expect(unknown.status, unknown.stderr).toBe(1);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toMatch(/^Unknown event type\(s\) payment\.nope; known: [a-z., ]+\.\n$/);
  }, 60_000);

  it('lists deliveries after a real delivery, only the failed ones with --failed, at most N with --limit', async () => {
    // A reader gives: Stripe's event goes through the inbox and the applier, whose triggers queue two messages.
    // The receiver takes the supporter but fails the payment every time, until it is given up (12 attempts, the
    // deliverer's clock moved on 10 hours each time: its retries wait from 5 s up to 10 h).
    const now = Math.floor(Date.now() / 1000);
    const gift = stripeEvent(
      'checkout.session.completed',
      checkoutSession({ id: 'cs_cli_wh', publication: 'demo', amount: 2500, email: 'ops@example.com', name: 'Olga Ops', created: now }),
      { id: 'evt_cli_wh', created: now },
    );
    await withDatabase(async (db) => {
      expect((await storeStripeEvent(db, gift)).stored).toBe(true);
      const applier = cliApplier(db);
      await applier.drain();
      await applier.stop();
      receiver.failing.add('payment.succeeded');
      for (let i = 0; i < 12; i++) await deliverDue(db, new Date(Date.now() + i * (10 * 3600_000 + 1000)));
      receiver.failing.clear();
    });
    expect(receiver.received.filter((r) => r.type === 'supporter.created')).toHaveLength(1);
    expect(receiver.received.filter((r) => r.type === 'payment.succeeded')).toHaveLength(12);
    // Signed with the secret `add` printed (the first two: the later ones carry the moved clock's timestamps).
    for (const r of receiver.received.slice(0, 2))
      expect(new Webhook(secret).verify(r.body, r.headers as Record<string, string>)).toBeTruthy();

    const header = [
      'delivery',
      'webhook-id',
      'type',
      'status',
      'attempts',
      'last status',
      'last error',
      'created',
      'last attempt',
      'next attempt',
    ];
    const listed = rows((await run('webhook', 'deliveries', endpointId)).out);
    expect(listed[0]).toEqual(header);
    expect(listed.slice(1).map((r) => [r[2], r[3], r[4], r[5], r[6], r[9]])).toEqual(
      expect.arrayContaining([
        ['supporter.created', 'delivered', '1', '204', '-', '-'],
        ['payment.succeeded', 'failed', '12', '500', 'HTTP 500', '-'],
      ]),
    );
    expect(listed).toHaveLength(3);
    // Newest first, and every webhook-id is one the receiver got.
    const ids = listed.slice(1).map((r) => Number(r[0]));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    const sent = new Set(receiver.received.map((r) => r.headers['webhook-id']));
    for (const r of listed.slice(1)) expect(sent.has(r[1])).toBe(true);

    const failed = rows((await run('webhook', 'deliveries', endpointId, '--failed')).out);
    expect(failed.slice(1).map((r) => [r[2], r[3]])).toEqual([['payment.succeeded', 'failed']]);
    expect(rows((await run('webhook', 'deliveries', endpointId, '--limit', '1')).out).slice(1)).toEqual([listed[1]]);

    const [, endpoint] = rows((await run('webhook', 'list', 'demo')).out);
    expect(endpoint!.slice(2, 9)).toEqual([
      'enabled',
      receiver.url('/crm'),
      'supporter.created,payment.succeeded',
      '0',
      '1',
      expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    ]);
  }, 120_000);

  it('rotates the secret, printing the new one; what goes out next is signed with both', async () => {
    const rotated = await run('webhook', 'rotate-secret', endpointId);
    expect(rows(rotated.out)).toEqual([['secret', expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/)]]);
    const newSecret = rotated.out[0]!.split('\t')[1]!;
    expect(newSecret).not.toBe(secret);
    expect(rotated.err.join('\n')).toMatch(/^The old secret signs too until \d{4}-\d\d-\d\dT[\d:.]+Z\.$/);
    secret = newSecret;
  });

  it('replays one delivery and an endpoint since a time, with the original webhook-ids', async () => {
    const listed = rows((await run('webhook', 'deliveries', endpointId, '--failed')).out).slice(1);
    const [failedId, failedWebhookId] = listed[0]!;
    receiver.received.length = 0;

    expect((await run('webhook', 'replay', failedId!)).out).toEqual(['replayed 1']);
    await deliverAll();
    expect(receiver.received.map((r) => [r.type, r.headers['webhook-id']])).toEqual([['payment.succeeded', failedWebhookId]]);

    expect((await run('webhook', 'replay', '--endpoint', endpointId, '--since', '1h')).out).toEqual(['replayed 2']);
    await deliverAll();
    expect(receiver.received).toHaveLength(3);
    expect(
      receiver.received
        .slice(1)
        .map((r) => r.type)
        .sort(),
    ).toEqual(['payment.succeeded', 'supporter.created']);
    expect(receiver.received.filter((r) => r.headers['webhook-id'] === failedWebhookId)).toHaveLength(2);
    for (const r of receiver.received) {
      expect(String(r.headers['webhook-signature']).split(' ')).toHaveLength(2); // new and old secret, for a day
      expect(new Webhook(secret).verify(r.body, r.headers as Record<string, string>)).toBeTruthy();
    }
    const after = rows((await run('webhook', 'deliveries', endpointId)).out).slice(1);
    expect(after).toHaveLength(5);
    expect(after.slice(0, 3).map((r) => r[3])).toEqual(['delivered', 'delivered', 'delivered']);
    expect(rows((await run('webhook', 'list')).out)[1]!.slice(5, 7)).toEqual(['0', '1']);

    expect(await failure('webhook', 'replay', '999999')).toBe('No webhook delivery 999999.');
    expect(await failure('webhook', 'replay', 'abc')).toBe('"abc" is not a delivery id (a number).');
    expect(await failure('webhook', 'replay')).toBe('Give a delivery id, or --endpoint <id> --since <duration>.');
    expect(await failure('webhook', 'replay', '--endpoint', endpointId, '--since', 'yesterday')).toMatch(/is not a duration/);
    expect(await failure('webhook', 'replay', '--endpoint', 'we_000000000000000000000000', '--since', '1h')).toBe(
      'No webhook endpoint "we_000000000000000000000000".',
    );
  }, 60_000);

  it('removes the endpoint; it is gone from the list, and unknown ids are said plainly', async () => {
    expect((await run('webhook', 'remove', endpointId)).out).toEqual([`removed ${endpointId}`]);
    const listed = (await run('webhook', 'list')).out;
    expect(listed).toHaveLength(1);
    expect(listed.join('\n')).not.toContain(endpointId);
    expect(await withDatabase((db) => db.selectFrom('webhook_deliveries').select('id').execute())).toEqual([]);

    expect(await failure('webhook', 'remove', endpointId)).toBe(`No webhook endpoint "${endpointId}".`);
    expect(await failure('webhook', 'rotate-secret', 'we_nope')).toBe('No webhook endpoint "we_nope".');
    expect(await failure('webhook', 'deliveries', endpointId)).toBe(`No webhook endpoint "${endpointId}".`);
    expect(await failure('webhook', 'enable', 'nonsense')).toBe('No webhook endpoint "nonsense".');
  });
});
