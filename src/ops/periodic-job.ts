/**
 * Runs a background task every interval (the first time after `firstAfterMs`), never two runs at
 * once; a failed run is reported and the next interval tries again. Timers do not keep the process
 * alive. Returns a function that stops it.
 */
export function schedulePeriodic(options: {
  firstAfterMs: number;
  intervalSeconds: number;
  run: () => Promise<void>;
  onError: (err: unknown) => void;
}): () => void {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      await options.run();
    } catch (err) {
      options.onError(err);
    } finally {
      running = false;
    }
  };
  const first = setTimeout(tick, options.firstAfterMs);
  const timer = setInterval(tick, options.intervalSeconds * 1000);
  first.unref();
  timer.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}
