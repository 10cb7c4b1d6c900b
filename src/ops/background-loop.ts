/** Work done in the background, on demand and by a fallback poll: the webhook applier, the e-mail sender. */
export interface BackgroundLoop {
  /** Something is due: run now (coalesces with a run under way, which then goes round once more). */
  wake(): void;
  /** Runs until a pass finds nothing more to do now. */
  drain(): Promise<void>;
  /** Stops polling and waits for the pass under way. */
  stop(): Promise<void>;
  /** True once stop was called: a pass checks it between batches. */
  readonly stopped: boolean;
}

/** What a background loop shows the rest of the app: the applier, the e-mail sender and the webhook deliverer. */
export type BackgroundWorker = Pick<BackgroundLoop, 'wake' | 'drain' | 'stop'>;

/**
 * Runs `pass` (which works until nothing is due, and returns false when it stopped on a failure the poll should retry)
 * whenever woken, and every `pollMs` (0: never) for work stored elsewhere or come due.
 */
export function createBackgroundLoop(pass: () => Promise<boolean>, pollMs: number): BackgroundLoop {
  let running: Promise<void> | undefined;
  let wokenAgain = false;
  let stopped = false;

  async function run(): Promise<void> {
    do {
      wokenAgain = false;
      if (!(await pass())) return;
    } while (wokenAgain && !stopped);
  }

  async function settled(): Promise<void> {
    while (running) await running;
  }

  function wake(): void {
    if (stopped) return;
    if (running) {
      wokenAgain = true;
      return;
    }
    running = run().finally(() => {
      running = undefined;
    });
  }

  const poll = pollMs > 0 ? setInterval(wake, pollMs) : undefined;
  poll?.unref();

  return {
    wake,
    async drain() {
      // A run under way may have started before the caller's work was stored: run once more after it.
      await settled();
      wake();
      await settled();
    },
    async stop() {
      stopped = true;
      if (poll) clearInterval(poll);
      await settled();
    },
    get stopped() {
      return stopped;
    },
  };
}
