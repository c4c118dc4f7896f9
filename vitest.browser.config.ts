import { defineConfig } from 'vitest/config';

// The console's browser tests (test/browser/*.browser.ts): Chromium via playwright-core against the local
// server and the vendor simulators. Kept out of `npm test`; run with `npm run test:browser`.
export default defineConfig({
  test: {
    include: ['test/browser/**/*.browser.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
    // The in-process server's EMF metric lines would bury the test report.
    env: { POWERTOOLS_METRICS_DISABLED: 'true' },
  },
});
