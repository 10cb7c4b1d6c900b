// The real server (src/server.ts) as a separate process, the way `npm start` runs it, for tests about the process
// itself: start-up, signals, a crash. It uses its own embedded database (DATABASE_URL '') unless `env` says otherwise.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type Stripe from 'stripe';
import { signPayload } from './webhook-delivery.js';

export interface ServerProcess {
  child: ChildProcess;
  /** Everything it wrote so far, stdout and stderr together. */
  output: () => string;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

export function startServer(port: number, env: Record<string, string>): ServerProcess {
  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { ...process.env, PORT: String(port), DATABASE_URL: '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  return { child, output: () => output };
}

/** Resolves once `url` answers 2xx; throws after `timeoutMs`. */
export async function waitFor(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not come up`);
}

/** The exit code (null when a signal ended it); at once for a process that has already exited. */
export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Kills the process outright (SIGKILL: no shutdown, as a crash or the OOM killer would) and waits until it is gone. */
export async function killHard(child: ChildProcess): Promise<void> {
  const gone = exited(child);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await gone;
}

/** Delivers `event` to the process's POST /webhooks/stripe as Stripe would, signed with `secret`. */
export function postWebhook(base: string, event: Stripe.Event, secret: string): Promise<Response> {
  const payload = JSON.stringify(event);
  return fetch(`${base}/webhooks/stripe`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': signPayload(payload, { secret }) },
    body: payload,
  });
}

/** Real servers on one temporary DATA_DIR, each on a fresh port and awaited at /readyz; `cleanUp` kills any still running. */
export function serversOnOneDataDir(prefix: string, env: () => Record<string, string>) {
  const dataDir = mkdtempSync(path.join(tmpdir(), prefix));
  const servers: ServerProcess[] = [];
  return {
    dataDir,
    async start(): Promise<{ server: ServerProcess; base: string }> {
      const port = await freePort();
      const server = startServer(port, { DATA_DIR: dataDir, DEMO_SEED_SUPPORTERS: '0', ...env() });
      servers.push(server);
      const base = `http://127.0.0.1:${port}`;
      await waitFor(`${base}/readyz`, 45_000).catch((err: Error) => {
        throw new Error(`${err.message}; its output:\n${server.output()}`);
      });
      return { server, base };
    },
    /** Children first: a connection still held open would keep a test's own server closing for 30 s. */
    async killAll(): Promise<void> {
      for (const server of servers) await killHard(server.child);
    },
    removeDataDir: () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

/** `promise`, or a failure naming `what` after `ms`. */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `condition` every 50 ms until it holds, or fails naming `what` after `ms`. */
export async function until(ms: number, what: string, condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
