import { performance } from 'node:perf_hooks';

/** The q-quantile (0..1) of the values, nearest rank on the sorted copy. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

export const median = (values: readonly number[]) => quantile(values, 0.5);

/** Runs `run` `warmup` times, then `rounds` times, and returns each measured round's wall time in ms. */
export async function timeRounds(
  run: () => Promise<unknown>,
  rounds: number,
  warmup: number,
): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  return times;
}

/** Wall and CPU time (this process only: user + system) of one piece of work. */
export async function timeWork<T>(
  run: () => Promise<T>,
): Promise<{ result: T; wallMs: number; cpuMs: number; userMs: number; systemMs: number }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const result = await run();
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return {
    result,
    wallMs,
    cpuMs: (used.user + used.system) / 1000,
    userMs: used.user / 1000,
    systemMs: used.system / 1000,
  };
}

/** Rounds for display and for results.json. */
export const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/** A plain text table: the first column left-aligned, the others right-aligned. */
export function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  '))
    .join('\n');
}

export const yesNo = (met: boolean) => (met ? 'met' : 'MISSED');
