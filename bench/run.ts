// Benchmarks (`npm run bench`, not part of `npm test`). Each part lives in its own module; this file runs
// them in order, prints a table per part and a summary of the goals, and writes bench/results.json.
//   BENCH_QUICK=1   a smoke run in under a minute (fewer rounds, 1,000 instead of 10,000 credentials, ...)
//   BENCH_ONLY=a,b  only these parts: overhead, bundles, sweep, sweep-scale, calls, calls-envelope, throughput, startup,
//                   roundtrips, cost (the cost model runs the parts it needs that did not run: calls, calls-envelope, sweep-scale),
//                   migrate
//   BENCH_ROUNDS=n  rounds per vendor and path in the overhead part
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';

// Lambda runs Node 22; on Node 20 the AWS SDK prints a support warning once per process. Set before any
// SDK client exists (and inherited by the child processes).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const { benchAwsCalls, printAwsCalls } = await import('./aws-calls.ts');
const { benchBundles, printBundles } = await import('./bundles.ts');
const { benchCheckOverhead, printCheckOverhead } = await import('./check-overhead.ts');
const { benchCliStartup, printCliStartup } = await import('./cli-startup.ts');
const { benchMigrate, printMigrate } = await import('./migrate.ts');
const { costInputsOf, costModel, printCostModel } = await import('./cost-model.ts');
const { QUICK, SIZES } = await import('./lib/config.ts');
const { round } = await import('./lib/stats.ts');
const { benchRoundTrips, printRoundTrips } = await import('./round-trips.ts');
const { benchServerThroughput, printServerThroughput } = await import('./server-throughput.ts');
const { benchSweep, printSweep } = await import('./sweep.ts');
const { benchSweepScale, printSweepScale } = await import('./sweep-scale.ts');

import type { AwsCallsResult } from './aws-calls.ts';
import type { SweepScaleResult } from './sweep-scale.ts';

type Goal = { goal: string; met: boolean; value: string };

interface Part<R> {
  key: string;
  title: string;
  run(): Promise<R>;
  print(result: R): string;
  goals(result: R): Goal[];
}

const part = <R>(p: Part<R>) => p as unknown as Part<unknown>;

/** Every part's result of this run, by key (what bench/results.json holds). */
const results: Record<string, unknown> = {};

/** A part's result from this run, running the part first if it was not selected. */
async function resultOf<R>(key: string): Promise<R> {
  if (!(key in results)) {
    const wanted = PARTS.find((p) => p.key === key);
    if (!wanted) throw new Error(`no bench part ${key}`);
    console.log(`(running part ${key} for the cost model)`);
    results[key] = await wanted.run();
  }
  return results[key] as R;
}

const PARTS = [
  part({
    key: 'overhead',
    title: '1. check overhead per vendor',
    run: benchCheckOverhead,
    print: printCheckOverhead,
    goals: (r) =>
      r.rows.map((row) => ({
        goal: `runCheck ratio <= ${r.libraryRatioGoal} (${row.name})`,
        met: row.library.ratio <= r.libraryRatioGoal,
        value: row.library.ratio.toFixed(2),
      })),
  }),
  part({
    key: 'bundles',
    title: '2. Lambda bundles',
    run: benchBundles,
    print: printBundles,
    goals: (r) => {
      const group = (g: string) => r.functions.filter((f) => f.group === g);
      const largest = (rows: typeof r.functions) => Math.max(...rows.map((f) => f.bytes));
      const worst = (rows: typeof r.functions) => Math.max(...rows.map((f) => f.ratioToBaseline ?? 0));
      const kB = (n: number) => `${(n / 1000).toFixed(0)} kB`;
      return [
        {
          goal: 'every bundle <= 1,000 kB',
          met: largest(r.functions) <= 1_000_000,
          value: `largest ${kB(largest(r.functions))}`,
        },
        {
          goal: 'health, openapi, list-connectors, console <= 150 kB',
          met: largest(group('static')) <= 150_000,
          value: `largest ${kB(largest(group('static')))}`,
        },
        {
          goal: 'read routes <= 450 kB',
          met: largest(group('read')) <= 450_000,
          value: `largest ${kB(largest(group('read')))}`,
        },
        {
          goal: 'cold import of read routes <= 1.5x baseline',
          met: worst(group('read')) <= 1.5,
          value: `worst ${worst(group('read')).toFixed(2)}x`,
        },
        {
          goal: 'cold import of any function <= 2.5x baseline',
          met: worst(r.functions) <= 2.5,
          value: `worst ${worst(r.functions).toFixed(2)}x`,
        },
        {
          goal: 'no network at import',
          met: r.functions.every((f) => f.networkAtImport === 0),
          value: `${r.functions.reduce((n, f) => n + f.networkAtImport, 0)} calls`,
        },
      ];
    },
  }),
  part({
    key: 'sweep',
    title: '3. sweep and worker',
    run: benchSweep,
    print: printSweep,
    goals: (r) => [
      {
        goal: `sweep CPU <= ${r.sweep.goalMsPerCredential} ms per credential`,
        met: r.sweep.goalMet,
        value: `${r.sweep.cpuMsPerCredential} ms`,
      },
    ],
  }),
  part({
    key: 'sweep-scale',
    title: '3b. sweep at scale (added AWS latency)',
    run: benchSweepScale,
    print: printSweepScale,
    goals: (r) => [
      {
        goal: `${r.credentials.toLocaleString('en')} due credentials queued in <= ${r.goalSeconds} s with +${r.addedLatencyMs} ms per AWS call`,
        met: r.goalMet,
        value: `${r.wallSeconds} s`,
      },
    ],
  }),
  part({
    key: 'calls',
    title: '4. AWS calls per operation',
    run: () => benchAwsCalls(),
    print: printAwsCalls,
    goals: (r) =>
      r.operations
        .filter((o) => o.goal !== null)
        .map((o) => ({
          goal: `${o.operation} <= ${o.goal} AWS calls`,
          met: o.goalMet === true,
          value: String(o.total),
        })),
  }),
  part({
    key: 'calls-envelope',
    title: "4b. AWS calls per operation with SECRET_STORE=envelope (figures; the goals are part 4's)",
    run: () => benchAwsCalls('envelope'),
    print: printAwsCalls,
    goals: () => [],
  }),
  part({
    key: 'cost',
    title: '8. cost model: a month of storing and checking credentials on AWS',
    run: async () =>
      costModel(
        costInputsOf(
          await resultOf<AwsCallsResult>('calls'),
          await resultOf<AwsCallsResult>('calls-envelope'),
          await resultOf<SweepScaleResult>('sweep-scale'),
        ),
      ),
    print: printCostModel,
    goals: (r) => [
      {
        goal: `envelope store <= $${r.goalPerThousand} per 1,000 credentials a month (Lambda compute aside)`,
        met: r.goalMet,
        value: r.scenarios
          .filter((s) => s.store === 'envelope')
          .map((s) => `$${s.perThousand.toFixed(2)} at ${s.credentials.toLocaleString('en')}`)
          .join(', '),
      },
    ],
  }),
  part({
    key: 'throughput',
    title: '5. local server throughput',
    run: benchServerThroughput,
    print: printServerThroughput,
    goals: () => [],
  }),
  part({
    key: 'startup',
    title: '6. CLI start-up',
    run: benchCliStartup,
    print: printCliStartup,
    goals: (r) =>
      r.rows.map((row) => ({
        goal: `${row.name} starts in <= ${r.ratioGoal}x node -e 0`,
        met: row.ratio <= r.ratioGoal,
        value: `${row.ratio.toFixed(2)}x (${row.p50Ms} ms; by CPU time ${row.cpuRatio.toFixed(2)}x)`,
      })),
  }),
  part({
    key: 'roundtrips',
    title: '7. round trips, deadline and per-host load',
    run: benchRoundTrips,
    print: printRoundTrips,
    goals: (r) => [
      ...r.rows
        .filter((row) => row.goal !== null)
        .map((row) => ({
          goal: `<= ${row.goal} round trips (${row.scenario})`,
          met: Math.round(row.roundTrips) <= (row.goal ?? 0),
          value: row.roundTrips.toFixed(1),
        })),
      {
        goal: `<= ${r.hostCap.goal} requests in flight at one host (${r.hostCap.checks} concurrent checks)`,
        met: r.hostCap.maxInFlight <= r.hostCap.goal,
        value: String(r.hostCap.maxInFlight),
      },
      ...r.server.map((s) => ({
        goal: `a 2xx/4xx answer and no vendor call after it (${s.scenario})`,
        met: s.status < 500 && s.callsAfterAnswer === 0,
        value: `HTTP ${s.status} ${s.verdict}, ${s.callsAfterAnswer} calls after`,
      })),
    ],
  }),
  part({
    key: 'migrate',
    title: '9. moving secrets between stores (secrets migrate)',
    run: benchMigrate,
    print: printMigrate,
    // No goal was set; every secret must move, whatever the concurrency.
    goals: (r) =>
      r.runs.map((run) => ({
        goal: `every secret moves (concurrency ${run.concurrency})`,
        met: run.moved === run.secrets && run.failed === 0,
        value: `${run.moved}/${run.secrets} in ${run.seconds} s`,
      })),
  }),
];

async function main() {
  const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
  const selected = PARTS.filter((p) => !only || only.includes(p.key));
  const started = performance.now();
  const loadAtStart = os.loadavg().map((n) => round(n));
  console.log(
    `credval bench${QUICK ? ' (BENCH_QUICK)' : ''}: Node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), load average ${loadAtStart.join(' ')}\n`,
  );
  if ((loadAtStart[0] ?? 0) > os.cpus().length * 0.75) {
    console.log(
      `warning: the machine is busy (load ${loadAtStart[0]} on ${os.cpus().length} cores): wall-clock figures will be pessimistic; CPU-time figures are less affected\n`,
    );
  }
  const timings: Record<string, number> = {};
  const goals: Goal[] = [];
  for (const p of selected) {
    const t0 = performance.now();
    const result = await p.run();
    timings[p.key] = round((performance.now() - t0) / 1000, 1);
    results[p.key] = result;
    goals.push(...p.goals(result));
    console.log(`${p.title} (${timings[p.key]} s)\n${p.print(result)}\n`);
  }
  const loadAtEnd = os.loadavg().map((n) => round(n));
  const totalSeconds = round((performance.now() - started) / 1000, 1);
  if (goals.length > 0) {
    console.log('goals');
    for (const g of goals) console.log(`  ${g.met ? 'met   ' : 'MISSED'}  ${g.goal}: ${g.value}`);
  }
  console.log(
    `\ntotal ${totalSeconds} s; load average at the end ${loadAtEnd.join(' ')}; wrote bench/results.json`,
  );
  writeFileSync(
    new URL('./results.json', import.meta.url),
    `${JSON.stringify(
      {
        measuredAt: new Date().toISOString(),
        quick: QUICK,
        node: process.version,
        platform: `${os.platform()} ${os.arch()}`,
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? null,
        loadAverage: { start: loadAtStart, end: loadAtEnd },
        sizes: SIZES,
        secondsPerPart: timings,
        totalSeconds,
        goals,
        ...results,
      },
      null,
      2,
    )}\n`,
  );
}

await main();
