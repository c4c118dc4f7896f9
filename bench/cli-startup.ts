// Part 6: how long the `credval` command takes to start, against a bare `node -e 0`. Each command runs as a
// fresh process, exactly as `npx credval ...` ends up running it (`node bin/credval.js ...`), round-robin over
// the variants so that load on the machine hits them alike; the figures are medians of the wall time and of the
// process's own CPU time (reported at exit by a preloaded script, the same for every variant). For
// comparison, the same commands run from the TypeScript sources through tsx, as bin/credval.js did before the
// compiled build (and still does when dist/cli/ is missing or stale).
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { buildCli, compiledCliIsFresh } from '../bin/build-cli.mjs';
import { SIZES } from './lib/config.ts';
import { median, quantile, round, table } from './lib/stats.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/credval.js', import.meta.url));
const FROM_SOURCES = fileURLToPath(new URL('./children/cli-from-sources.mjs', import.meta.url));
const CPU_AT_EXIT = fileURLToPath(new URL('./children/cpu-at-exit.cjs', import.meta.url));
/** The goal: every command starts in at most this many times a bare `node -e 0`. */
const RATIO_GOAL = 4;

/** A check that loads all of its code (undici included) and ends without a connection: a refused address. */
const BLOCKED_CHECK = JSON.stringify({ baseUrl: 'http://127.0.0.1:9', apiKey: 'bench-not-a-key' });

interface Command {
  name: string;
  args: string[];
  stdin?: string;
  /** The exit code that shows the command did what it should. */
  code: number;
}

const COMMANDS: Command[] = [
  { name: 'credval --help', args: ['--help'], code: 0 },
  { name: 'credval connectors', args: ['connectors'], code: 0 },
  // Everything the check needs is loaded before its input is read; `{}` then stops at the first field.
  { name: 'credval check, input refused', args: ['check', 'dolibarr'], stdin: '{}', code: 64 },
  { name: 'credval check, destination refused', args: ['check', 'dolibarr'], stdin: BLOCKED_CHECK, code: 2 },
];

/** Medians (and the wall time's 90th percentile) of one variant, ms. */
interface Timing {
  p50Ms: number;
  p90Ms: number;
  cpuP50Ms: number;
}

export interface CliStartupRow extends Timing {
  name: string;
  /** Wall p50 / wall p50 of `node -e 0` (the goal), and the same for CPU time. */
  ratio: number;
  cpuRatio: number;
  /** The same command from the TypeScript sources through tsx. */
  fromSources: Timing & { ratio: number; cpuRatio: number };
}

export interface CliStartupResult {
  runs: number;
  ratioGoal: number;
  baseline: Timing;
  rows: CliStartupRow[];
}

/** Runs one fresh process; its wall time and its own CPU time, ms. */
function timeProcess(
  args: string[],
  stdin: string | undefined,
  expectedCode: number,
): { wallMs: number; cpuMs: number } {
  const start = performance.now();
  const run = spawnSync(process.execPath, ['--require', CPU_AT_EXIT, ...args], {
    cwd: ROOT,
    input: stdin ?? '',
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
  });
  const wallMs = performance.now() - start;
  if (run.status !== expectedCode) {
    throw new Error(
      `node ${args.join(' ')} exited ${run.status ?? run.signal}, expected ${expectedCode}:\n${run.stderr}`,
    );
  }
  return { wallMs, cpuMs: Number(String(run.output[3] ?? '').trim()) / 1000 };
}

export async function benchCliStartup(): Promise<CliStartupResult> {
  // Measure what `npm ci` ships: build it now, and make sure bin/credval.js will use it.
  if (!(await buildCli()) || !compiledCliIsFresh()) throw new Error('dist/cli/ could not be built');
  const runs = SIZES.cliStartupRuns;
  const variants = [
    { key: 'baseline', args: ['-e', '0'], stdin: undefined as string | undefined, code: 0 },
    ...COMMANDS.flatMap((c) => [
      { key: `compiled:${c.name}`, args: [BIN, ...c.args], stdin: c.stdin, code: c.code },
      { key: `sources:${c.name}`, args: [FROM_SOURCES, ...c.args], stdin: c.stdin, code: c.code },
    ]),
  ];
  const times = new Map<string, Array<{ wallMs: number; cpuMs: number }>>(variants.map((v) => [v.key, []]));
  // One warm-up round (file system cache), then round-robin.
  for (const v of variants) timeProcess(v.args, v.stdin, v.code);
  for (let i = 0; i < runs; i++) {
    for (const v of variants) times.get(v.key)?.push(timeProcess(v.args, v.stdin, v.code));
  }
  const stats = (key: string): Timing => {
    const values = times.get(key) ?? [];
    const wall = values.map((v) => v.wallMs);
    return {
      p50Ms: round(median(wall), 1),
      p90Ms: round(quantile(wall, 0.9), 1),
      cpuP50Ms: round(median(values.map((v) => v.cpuMs)), 1),
    };
  };
  const baseline = stats('baseline');
  const ratios = (t: Timing) => ({
    ratio: round(t.p50Ms / baseline.p50Ms),
    cpuRatio: round(t.cpuP50Ms / baseline.cpuP50Ms),
  });
  return {
    runs,
    ratioGoal: RATIO_GOAL,
    baseline,
    rows: COMMANDS.map((c) => {
      const compiled = stats(`compiled:${c.name}`);
      const sources = stats(`sources:${c.name}`);
      return {
        name: c.name,
        ...compiled,
        ...ratios(compiled),
        fromSources: { ...sources, ...ratios(sources) },
      };
    }),
  };
}

export function printCliStartup(r: CliStartupResult): string {
  const b = r.baseline;
  return [
    `Fresh processes, ${r.runs} runs each, round-robin. \`node -e 0\`: wall p50 ${b.p50Ms} ms (p90 ${b.p90Ms}), CPU p50 ${b.cpuP50Ms} ms`,
    table(
      [
        'command',
        'wall p50 / p90 ms',
        'x node',
        'CPU p50 ms',
        'x node',
        'from sources: wall p50',
        'x node',
        'CPU',
        'x node',
      ],
      r.rows.map((row) => [
        row.name,
        `${row.p50Ms.toFixed(1)} / ${row.p90Ms.toFixed(1)}`,
        row.ratio.toFixed(2),
        row.cpuP50Ms.toFixed(1),
        row.cpuRatio.toFixed(2),
        row.fromSources.p50Ms.toFixed(1),
        row.fromSources.ratio.toFixed(2),
        row.fromSources.cpuP50Ms.toFixed(1),
        row.fromSources.cpuRatio.toFixed(2),
      ]),
    ),
  ].join('\n');
}
