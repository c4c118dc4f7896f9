// Part 5: dry-run checks per second through the local server (POST /validations) at a fixed concurrency for
// a fixed duration, against a Dolibarr simulator that answers at once. The server runs in a child process
// (startLocalServer, as `credval serve`); this process runs the simulator and the load.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { startDolibarrSimulator } from '../test/simulators/dolibarr.ts';
import { DOLIBARR_KEYS, dolibarrRecordedConfig } from '../test/simulators/fixtures.ts';
import { childCpuMs, startChild } from './lib/child.ts';
import { SIZES } from './lib/config.ts';
import { quantile, round, table } from './lib/stats.ts';

const WARMUP_MS = 1_000;

export interface ThroughputResult {
  concurrency: number;
  durationSeconds: number;
  requests: number;
  checksPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
  statuses: Record<string, number>;
  serverCpuMsPerCheck: number;
  /** CPU of this process (the load and the simulator) over the run, as a share of one core. */
  loadProcessCpuShare: number;
  serverCpuShare: number;
  vendorCallsPerCheck: number;
}

export async function benchServerThroughput(): Promise<ThroughputResult> {
  const concurrency = SIZES.throughputConcurrency;
  const durationMs = SIZES.throughputSeconds * 1000;
  const token = randomBytes(24).toString('base64url');
  const dataDir = await mkdtemp(join(tmpdir(), 'credval-bench-throughput-'));
  const dolibarr = await startDolibarrSimulator(dolibarrRecordedConfig({ failureDelayMs: 0 }));
  const server = await startChild<{ url: string }>('server', {
    env: { BENCH_DATA_DIR: dataDir, BENCH_TOKEN: token },
  });
  const pool = new Pool(server.ready.url, { connections: concurrency });
  const body = JSON.stringify({
    connector: 'dolibarr',
    fields: { baseUrl: dolibarr.url, apiKey: DOLIBARR_KEYS.admin },
  });
  try {
    const load = async (ms: number) => {
      const latencies: number[] = [];
      const statuses: Record<string, number> = {};
      const deadline = performance.now() + ms;
      const worker = async () => {
        while (performance.now() < deadline) {
          const start = performance.now();
          let status = 'error';
          try {
            const res = await pool.request({
              method: 'POST',
              path: '/validations',
              headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
              body,
            });
            const text = await res.body.text();
            status = String(res.statusCode);
            if (res.statusCode === 200 && !text.includes('"verdict":"valid"')) status = '200-not-valid';
          } catch {
            // counted as an error below
          }
          latencies.push(performance.now() - start);
          statuses[status] = (statuses[status] ?? 0) + 1;
        }
      };
      const started = performance.now();
      await Promise.all(Array.from({ length: concurrency }, worker));
      return { latencies, statuses, elapsedMs: performance.now() - started };
    };
    await load(WARMUP_MS);
    const vendorBefore = dolibarr.stats.total;
    const cpuBefore = await childCpuMs(server);
    const ownBefore = process.cpuUsage();
    const { latencies, statuses, elapsedMs } = await load(durationMs);
    const own = process.cpuUsage(ownBefore);
    const serverCpu = (await childCpuMs(server)) - cpuBefore;
    const vendorCalls = dolibarr.stats.total - vendorBefore;
    const ok = statuses['200'] ?? 0;
    return {
      concurrency,
      durationSeconds: round(elapsedMs / 1000),
      requests: latencies.length,
      checksPerSecond: round(ok / (elapsedMs / 1000), 0),
      p50Ms: round(quantile(latencies, 0.5)),
      p99Ms: round(quantile(latencies, 0.99)),
      maxMs: round(Math.max(...latencies)),
      errors: latencies.length - ok,
      statuses,
      serverCpuMsPerCheck: round(serverCpu / Math.max(1, latencies.length), 3),
      serverCpuShare: round(serverCpu / elapsedMs),
      loadProcessCpuShare: round((own.user + own.system) / 1000 / elapsedMs),
      vendorCallsPerCheck: round(vendorCalls / Math.max(1, latencies.length), 2),
    };
  } finally {
    await pool.close();
    await server.stop();
    await dolibarr.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

export function printServerThroughput(r: ThroughputResult): string {
  return [
    `Local server: POST /validations (Dolibarr, answering at once), concurrency ${r.concurrency}, ${r.durationSeconds} s`,
    table(
      [
        'checks/s',
        'p50 ms',
        'p99 ms',
        'max ms',
        'requests',
        'errors',
        'server CPU/check ms',
        'server / load+sim CPU (cores)',
        'vendor calls/check',
      ],
      [
        [
          r.checksPerSecond,
          r.p50Ms.toFixed(1),
          r.p99Ms.toFixed(1),
          r.maxMs.toFixed(1),
          r.requests,
          r.errors,
          r.serverCpuMsPerCheck,
          `${r.serverCpuShare} / ${r.loadProcessCpuShare}`,
          r.vendorCallsPerCheck,
        ],
      ],
    ),
  ].join('\n');
}
