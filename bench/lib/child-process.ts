import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildCompiledServer, removeCompiledServer, startNodeArgs } from './compiled-server.js';
import { REPO_ROOT, settings } from './settings.js';

export interface Child {
  pid: number;
  /** The last 64 kB the child wrote to stdout and stderr. */
  output(): string;
  /** SIGTERM, then SIGKILL after the grace period; resolves when the child has exited. */
  stop(graceMs?: number): Promise<void>;
  exited: boolean;
  /** How it ended, once it has: "code 1" or "signal SIGKILL". */
  exitStatus: string | undefined;
}

const running = new Set<Child>();

// Ctrl-C during a bench still ends the children it started (by pid, nothing broader).
let signalHandlersInstalled = false;
function installSignalHandlers(): void {
  if (signalHandlersInstalled) return;
  signalHandlersInstalled = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const child of running) void child.stop(2_000);
      setTimeout(() => process.exit(130), 2_500).unref();
    });
  }
}

/** Runs a TypeScript entry point with `node --import tsx` from the repository root, with exactly the env given. */
export function spawnTs(script: string, env: Record<string, string>, nodeArgs: string[] = []): Child {
  return spawnNode(['--import', 'tsx', ...nodeArgs, script], env);
}

/** Runs node with these arguments from the repository root, with exactly the env given. */
export function spawnNode(args: string[], env: Record<string, string>): Child {
  installSignalHandlers();
  const proc: ChildProcess = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    // A clean environment: nothing from the caller's shell (real Stripe keys, NODE_OPTIONS …) leaks in.
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (proc.pid === undefined) throw new Error(`could not start node ${args.join(' ')}`);
  let child: Child;
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-65_536);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const exit = new Promise<void>((resolve) =>
    proc.once('exit', (code, signal) => {
      child.exitStatus = signal ? `signal ${signal}` : `code ${code}`;
      resolve();
    }),
  );
  child = {
    pid: proc.pid,
    exited: false,
    exitStatus: undefined,
    output: () => output,
    async stop(graceMs = 15_000) {
      if (!child.exited) {
        proc.kill('SIGTERM');
        const killed = await Promise.race([exit.then(() => false), sleep(graceMs).then(() => true)]);
        if (killed) {
          proc.kill('SIGKILL');
          await exit;
        }
      }
      running.delete(child);
    },
  };
  void exit.then(() => {
    child.exited = true;
  });
  running.add(child);
  return child;
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function getStatus(port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, timeout: 1_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/** Polls GET path until it answers 200, the child dies, or the timeout passes. */
export async function waitForHttp(child: Child, port: number, path: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exited) throw new Error(`child ${child.pid} exited before it was ready:\n${child.output()}`);
    if ((await getStatus(port, path)) === 200) return;
    await sleep(100);
  }
  await child.stop(2_000);
  throw new Error(`child ${child.pid} was not ready on port ${port} after ${timeoutMs} ms:\n${child.output()}`);
}

export interface ServerChild extends Child {
  port: number;
  runtime: ServerRuntime;
}

/** tsx: `node --import tsx src/server.ts`. compiled: the same sources transpiled to JS, run as `npm start` runs them (same node flags). */
export type ServerRuntime = 'tsx' | 'compiled';

/**
 * The real service in its own process on a free loopback port, so the RSS measured is the server's own.
 * NODE_ENV=production (no demo seeding: the bench seeds it), LOG_LEVEL=warn unless BENCH_LOG_LEVEL says otherwise,
 * DATABASE_POOL_SIZE = the bench concurrency.
 */
export async function startServer(env: Record<string, string>, runtime: ServerRuntime = 'tsx'): Promise<ServerChild> {
  const port = await freePort();
  const fullEnv = {
    NODE_ENV: 'production',
    PORT: String(port),
    LOG_LEVEL: settings.serverLogLevel,
    DATABASE_POOL_SIZE: String(settings.concurrency),
    ...env,
    ...settings.serverEnv,
  };
  const child =
    runtime === 'tsx'
      ? spawnTs('src/server.ts', fullEnv, settings.serverNodeArgs)
      : spawnNode([...startNodeArgs(), ...settings.serverNodeArgs, buildCompiledServer()], fullEnv);
  if (runtime === 'compiled') {
    const stop = child.stop;
    child.stop = async (graceMs) => {
      await stop(graceMs);
      removeCompiledServer();
    };
  }
  await waitForHttp(child, port, '/readyz');
  return Object.assign(child, { port, runtime });
}

/** Throws, with the child's last output, when it has exited although it should still be serving. */
export function assertRunning(child: Child, what: string): void {
  if (child.exited)
    throw new Error(`${what} (pid ${child.pid}) exited during the run (${child.exitStatus}):\n${child.output().slice(-4_000)}`);
}
