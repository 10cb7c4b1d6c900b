/**
 * Helpers for the hardening tests that need real processes and sockets: the server spawned as a
 * child process (like `npm start`), a stub Stripe API and a TCP proxy in front of Postgres, all on
 * 127.0.0.1 only, plus fresh Postgres databases created and dropped per test.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createConnection, createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type Stripe from 'stripe';
import { signPayload } from './webhook-delivery.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ------------------------------------------------------------------------------------------------
// The server as a child process
// ------------------------------------------------------------------------------------------------

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  base: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal) once the process has exited. */
  exited: Promise<number | null>;
}

/**
 * Spawns src/server.ts the way server-process.test.ts does. The environment is explicit: the
 * worker's DATABASE_URL is never inherited by accident (pass it in `env` to use Postgres).
 */
export function spawnServer(port: number, env: Record<string, string>): ServerProcess {
  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      DATABASE_URL: '',
      LOG_LEVEL: 'info',
      DEMO_SEED_SUPPORTERS: '0',
      RECONCILE_INTERVAL: '0',
      STRIPE_SECRET_KEY: '',
      STRIPE_API_URL: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, port, base: `http://127.0.0.1:${port}`, output: () => output, exited };
}

/** Waits until GET url answers 2xx; fails early when the process dies. */
export async function waitForReady(server: ServerProcess, path = '/readyz', timeoutMs = 40_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let dead = false;
  void server.exited.then(() => (dead = true));
  while (Date.now() < deadline) {
    if (dead) throw new Error(`server exited before it was ready:\n${server.output()}`);
    const ok = await fetch(`${server.base}${path}`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`${server.base}${path} did not come up:\n${server.output()}`);
}

/** Waits until the server's webhook inbox has nothing pending (as /readyz tells); fails on a failed event. */
export async function waitForInboxDrained(server: ServerProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const ready = await fetch(`${server.base}/readyz`).then(
      (r) => r.json() as Promise<{ webhooks?: { pending: number; failed: number } | null }>,
      () => undefined,
    );
    last = ready?.webhooks;
    if (ready?.webhooks && ready.webhooks.failed > 0)
      throw new Error(`failed events in the inbox: ${JSON.stringify(ready.webhooks)}\n${server.output().slice(-3000)}`);
    if (ready?.webhooks?.pending === 0) return;
    await sleep(50);
  }
  throw new Error(`the inbox did not drain: ${JSON.stringify(last)}`);
}

/** Stops a child we started (by its own handle, never by name) and waits for it. */
export async function stopServer(server: ServerProcess | undefined, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (!server || server.child.exitCode !== null || server.child.signalCode !== null) return;
  server.child.kill(signal);
  await server.exited;
}

/** Runs the favour CLI (src/cli/main.ts) synchronously with the given environment. */
export function runCli(args: string[], env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, DATABASE_URL: '', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

// ------------------------------------------------------------------------------------------------
// Webhook load against a server over real HTTP
// ------------------------------------------------------------------------------------------------

export interface DeliveryOutcome {
  id: string;
  status: number | null;
  body?: { duplicate?: boolean; error?: { code?: string } };
}

/** Posts one event, signed with `secret`, to base/webhooks/stripe; a dropped connection gives status null. */
export async function postEvent(base: string, event: Stripe.Event, secret: string, timeoutMs = 20_000): Promise<DeliveryOutcome> {
  const payload = JSON.stringify(event);
  try {
    const res = await fetch(`${base}/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': signPayload(payload, { secret }) },
      body: payload,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await res.json().catch(() => undefined)) as DeliveryOutcome['body'];
    return { id: event.id, status: res.status, ...(body ? { body } : {}) };
  } catch {
    return { id: event.id, status: null };
  }
}

/**
 * Delivers events with `concurrency` requests in flight. `onOutcome` may return 'stop' to stop
 * starting new deliveries (those not started are reported with status null, as never attempted).
 */
export async function deliverConcurrently(
  events: Stripe.Event[],
  deliverOne: (event: Stripe.Event) => Promise<DeliveryOutcome>,
  concurrency: number,
  onOutcome?: (outcome: DeliveryOutcome, done: number) => 'stop' | void,
): Promise<DeliveryOutcome[]> {
  const outcomes: DeliveryOutcome[] = new Array(events.length);
  let next = 0;
  let done = 0;
  let stopped = false;
  const worker = async () => {
    while (!stopped && next < events.length) {
      const index = next++;
      const outcome = await deliverOne(events[index]!);
      outcomes[index] = outcome;
      done += 1;
      if (onOutcome?.(outcome, done) === 'stop') stopped = true;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return events.map((e, i) => outcomes[i] ?? { id: e.id, status: null });
}

// ------------------------------------------------------------------------------------------------
// Fresh Postgres databases (only when DATABASE_URL is set)
// ------------------------------------------------------------------------------------------------

export interface FreshDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** Creates an empty database on the DATABASE_URL server; `drop` removes it (forcing connections off). */
export async function createFreshPostgresDatabase(prefix = 'favour_hardening'): Promise<FreshDatabase> {
  const adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) throw new Error('DATABASE_URL is not set');
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.href,
    drop: () => withAdmin(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)),
  };
}

async function withAdmin(url: string, fn: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await fn(client);
  } finally {
    await client.end();
  }
}

/** The same URL with another host port (to go through a proxy). */
export function withPort(url: string, port: number): string {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(port);
  return u.href;
}

// ------------------------------------------------------------------------------------------------
// A TCP proxy that can be closed and reopened on the same port (a database that goes away)
// ------------------------------------------------------------------------------------------------

export interface TcpProxy {
  port: number;
  /** Connections currently relayed. */
  readonly connections: number;
  /** Stops listening (new connections are refused) and cuts every open connection. */
  close(): Promise<void>;
  /** Listens again on the same port. */
  open(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: NetServer | undefined;
  const port = await freePort();
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createNetServer((client) => {
        const upstream = createConnection(target);
        sockets.add(client).add(upstream);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
        client.pipe(upstream);
        upstream.pipe(client);
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        server = s;
        resolve();
      });
    });
  await listen();
  return {
    port,
    get connections() {
      return sockets.size / 2;
    },
    async close() {
      const s = server;
      server = undefined;
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    async open() {
      if (!server) await listen();
    },
  };
}

// ------------------------------------------------------------------------------------------------
// A stub Stripe API on 127.0.0.1 (nock cannot reach a child process)
// ------------------------------------------------------------------------------------------------

export interface StubRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface StubStripe {
  url: string;
  requests: StubRequest[];
  close(): Promise<void>;
}

export type StubHandler = (req: StubRequest) => { status: number; body: unknown; headers?: Record<string, string> };

/** A Stripe-like API on 127.0.0.1; `delayMs` (read per request) makes it slow. */
export async function startStubStripe(handler: StubHandler, delayMs: () => number = () => 0): Promise<StubStripe> {
  const requests: StubRequest[] = [];
  const server: HttpServer = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const seen: StubRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body };
      requests.push(seen);
      let answer: ReturnType<StubHandler>;
      try {
        answer = handler(seen);
      } catch (err) {
        answer = { status: 500, body: { error: { type: 'api_error', message: String(err) } } };
      }
      const reply = () => {
        if (res.destroyed) return;
        res.writeHead(answer.status, {
          'content-type': 'application/json',
          'request-id': `req_stub_${requests.length}`,
          ...(answer.headers ?? {}),
        });
        res.end(JSON.stringify(answer.body));
      };
      const delay = delayMs();
      if (delay > 0) setTimeout(reply, delay);
      else reply();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A copy of `items` in an order fixed by `seed`. */
export function seededShuffle<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let a = seed >>> 0;
  const random = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
