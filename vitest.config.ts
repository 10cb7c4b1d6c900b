import { configDefaults, defineConfig } from 'vitest/config';
import { findChromium } from './tests/helpers/chromium.js';

// The browser tests drive a real Chromium. Without one they are left out, with one line saying so; on CI
// (CI=true) a missing browser fails the run instead, so the tests cannot go missing there unnoticed.
const chromium = findChromium();
if (!chromium) {
  const why = 'no Chromium or Chrome found (set CHROMIUM_PATH, or put chromium, chromium-browser or google-chrome on PATH)';
  if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(`CI=true and ${why}: the browser tests cannot run.`);
  console.log(`Browser tests (tests/browser) skipped: ${why}. Install one, e.g. "apt install chromium", to run them.`);
}

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...(chromium ? [] : ['tests/browser/**'])],
    // Browser tests load the built widget: build it once before any file runs.
    globalSetup: ['tests/helpers/build-widget.global-setup.ts', 'tests/helpers/build-dashboard.global-setup.ts'],
    // Each file gets its own fresh database; files run in parallel on the two cores.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
