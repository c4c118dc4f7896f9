// How big each measurement is. `BENCH_QUICK=1` shrinks everything for a smoke run (under a minute); the full
// run (a few minutes on 2 cores) is what the README's figures come from.
export const QUICK = process.env.BENCH_QUICK === '1' || process.env.BENCH_QUICK === 'true';

export const SIZES = {
  /** Measured rounds per vendor and path in the check-overhead part (after WARMUP rounds). */
  overheadRounds: Number(process.env.BENCH_ROUNDS ?? (QUICK ? 30 : 200)),
  overheadWarmup: QUICK ? 5 : 20,
  /** Fresh Node processes per bundle for the cold import median. */
  coldImportRuns: QUICK ? 3 : 9,
  /** Due credentials for the sweep and the worker drain. */
  sweepCredentials: QUICK ? 1_000 : 10_000,
  /** Due credentials for the sweep with added AWS latency (the goal is about 20,000). */
  sweepScaleCredentials: QUICK ? 2_000 : 20_000,
  /** Duration and concurrency of the local-server throughput run. */
  throughputSeconds: QUICK ? 3 : 10,
  throughputConcurrency: 32,
  /** Fresh processes per command (and variant) for the CLI start-up medians. */
  cliStartupRuns: QUICK ? 5 : 15,
  /** Secrets moved per run of the migration part (one run per concurrency). */
  migrateSecrets: QUICK ? 100 : 1_000,
} as const;
