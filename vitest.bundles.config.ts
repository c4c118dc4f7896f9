import { defineConfig } from 'vitest/config';

/**
 * `npm run test:bundles`: bundles every Lambda function as the stack does and runs each bundle in a fresh Node
 * process (test/bundles/*.bundle.ts). Kept out of `npm test` (which collects only *.test.ts): it synthesizes
 * the app with real esbuild bundling, which takes a while.
 */
export default defineConfig({
  test: {
    include: ['test/bundles/**/*.bundle.ts'],
    testTimeout: 60_000,
    hookTimeout: 240_000,
    pool: 'forks',
  },
});
