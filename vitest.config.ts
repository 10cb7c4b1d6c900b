import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Browser tests load the built widget: build it once before any file runs.
    globalSetup: ['tests/helpers/build-widget.global-setup.ts', 'tests/helpers/build-dashboard.global-setup.ts'],
    // Each file gets its own fresh database; files run in parallel on the two cores.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
