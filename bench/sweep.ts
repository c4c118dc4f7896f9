// Part 3: one sweep over N due credentials in dynalite (10,000; 1,000 with BENCH_QUICK), then the worker
// draining the queue against vendor simulators that answer at once. dynalite and the simulators run in
// child processes, so the CPU time measured here (process.cpuUsage) is credval's: the sweep or worker logic,
// the SDK, zod, the guarded client. DynamoDB calls are counted by an SDK middleware, queue sends by a wrapper.

import { runCheck } from '../shared/connectors/check.ts';
import type { Credential } from '../shared/domain/credential.ts';
import type { CredentialEvent, RevalidationMessage } from '../shared/domain/events.ts';
import { createGuardedClient } from '../shared/net/guarded-client.ts';
import { ServiceConfig } from '../shared/service/config.ts';
import type { WorkOutcome } from '../shared/service/revalidation-worker.ts';
import { FRESH_MONITOR } from '../shared/service/status-policy.ts';
import type { SweepResult } from '../shared/service/sweep.ts';
import { DynamoCredentialRepository } from '../shared/store/dynamo-credential-repository.ts';
import { createDynamoClient } from '../shared/store/local-dynamo.ts';
import { MemoryRevalidationQueue } from '../shared/store/memory-queue.ts';
import { MemorySecretStore } from '../shared/store/memory-secret-store.ts';
import { revalidationOf } from '../test/helpers/revalidation.ts';
import type { SimulatorsInit } from './children/simulators.ts';
import { CallCounter, countDynamoCalls, describeCalls } from './lib/aws-counter.ts';
import { childCpuMs, startChild } from './lib/child.ts';
import { SIZES } from './lib/config.ts';
import { batchSeed, credentialItems, documentClientOf, startDynaliteChild } from './lib/dynamo.ts';
import { round, table, timeWork, yesNo } from './lib/stats.ts';

const TABLE = 'credval-bench-sweep';
export const SWEEP_CPU_GOAL_MS = 2;
const MIN = 60_000;

export interface SweepBenchResult {
  credentials: number;
  seedSeconds: number;
  sweep: SweepResult & {
    wallSeconds: number;
    cpuMs: number;
    cpuMsPerCredential: number;
    userMsPerCredential: number;
    systemMsPerCredential: number;
    dynaliteCpuMsPerCredential: number;
    goalMsPerCredential: number;
    goalMet: boolean;
    dynamoCalls: Record<string, number>;
    queueSendCalls: number;
    queuedMessages: number;
  };
  work: {
    outcomes: Record<string, number>;
    verdicts: Record<string, number>;
    wallSeconds: number;
    checksPerSecond: number;
    cpuMs: number;
    cpuMsPerCheck: number;
    userMsPerCheck: number;
    systemMsPerCheck: number;
    dynaliteCpuMsPerCheck: number;
    simulatorsCpuMsPerCheck: number;
    dynamoCallsPerCheck: Record<string, number>;
    eventsPublished: number;
    vendorRequests: Record<string, number>;
    maxConcurrentPerVendor: Record<string, number>;
    precoroViolations: number;
  };
}

/** Vendor `i % 3` with its own user, key or token `k = floor(i / 3)`. */
export function seedPlan(n: number) {
  const perVendor = Math.ceil(n / 3);
  const ks = Array.from({ length: perVendor }, (_, k) => k);
  const dolibarrKey = (k: number) => `dolibarr-key-${k}-0123456789`;
  const odooKey = (k: number) => `odoo-key-${k}-`.padEnd(40, 'x');
  const precoroToken = (k: number) => `precoro-token-${k}-abcdef`;
  const simulators: SimulatorsInit = {
    dolibarr: {
      users: ks.map((k) => ({
        id: k + 10,
        login: `svc${k}`,
        apiKey: dolibarrKey(k),
        rights: ['societe.lire'],
      })),
      failureDelayMs: 0,
    },
    odoo: {
      version: '19.0',
      databases: {
        acme: {
          users: ks.map((k) => ({
            uid: k + 10,
            login: `bot${k}@example.com`,
            password: `pw-${k}`,
            kind: 'internal' as const,
            apiKeys: [{ key: odooKey(k) }],
          })),
        },
      },
    },
    // Every credential has its own token; Precoro's pacing is lifted so the drain measures credval.
    precoro: {
      accounts: ks.map((k) => ({ token: precoroToken(k), email: `buyer${k}@example.com` })),
      minIntervalMs: 0,
      duplicateWindowMs: 0,
    },
  };
  const credentials = (urls: Record<string, string>, now: number) =>
    Array.from({ length: n }, (_, i) => {
      const k = Math.floor(i / 3);
      const tenantId = `tenant-${i % 20}`;
      const [connector, fields, secret] = (
        [
          ['dolibarr', { baseUrl: urls.dolibarr ?? '' }, { apiKey: dolibarrKey(k) }],
          [
            'odoo',
            { serverUrl: urls.odoo ?? '', database: 'acme', username: `bot${k}@example.com` },
            { password: odooKey(k) },
          ],
          [
            'precoro',
            { email: `buyer${k}@example.com`, apiUrl: urls.precoro ?? '' },
            { apiToken: precoroToken(k) },
          ],
        ] as const
      )[i % 3] as readonly [string, Record<string, string>, Record<string, string>];
      const id = `${connector}-${k}`;
      const credential: Credential = {
        tenantId,
        id,
        connector,
        name: id,
        description: '',
        fields,
        requirements: connector === 'odoo' ? [{ resource: 'res.partner', access: ['read'] }] : [],
        status: 'valid',
        lastCheck: null,
        version: 1,
        createdAt: new Date(now - 86_400_000).toISOString(),
        updatedAt: new Date(now - 86_400_000).toISOString(),
        nextCheckAt: new Date(now - (1 + (i % 50)) * MIN).toISOString(),
        secretName: `credval/${tenantId}/${id}`,
        monitor: FRESH_MONITOR,
      };
      return { credential, secret };
    });
  return { simulators, credentials };
}

export async function benchSweep(): Promise<SweepBenchResult> {
  const n = SIZES.sweepCredentials;
  const plan = seedPlan(n);
  const dynamo = await startDynaliteChild(TABLE);
  const sims = await startChild<Record<string, string>>('simulators', { init: plan.simulators });
  const counter = new CallCounter();
  const lowLevel = createDynamoClient(dynamo.endpoint);
  countDynamoCalls(lowLevel, counter);
  const seeder = createDynamoClient(dynamo.endpoint);
  const client = createGuardedClient({ egressAllow: ['127.0.0.0/8'] });
  try {
    // Seed: the adapter's own items, written in batches; secrets in memory.
    const seedStart = performance.now();
    const records = plan.credentials(sims.ready, Date.now());
    const secrets = new MemorySecretStore();
    for (const { credential, secret } of records) {
      await secrets.create(credential.secretName, secret, {
        requestToken: credential.id.padEnd(32, '0'),
        tags: { tenantId: credential.tenantId, credentialId: credential.id, connector: credential.connector },
      });
    }
    await batchSeed(
      documentClientOf(seeder),
      TABLE,
      await credentialItems(
        TABLE,
        records.map((r) => r.credential),
      ),
    );
    const seedSeconds = (performance.now() - seedStart) / 1000;

    const memoryQueue = new MemoryRevalidationQueue();
    let queueSendCalls = 0;
    let queuedMessages = 0;
    const events: CredentialEvent[] = [];
    const revalidation = revalidationOf({
      repository: new DynamoCredentialRepository({ client: documentClientOf(lowLevel), tableName: TABLE }),
      secrets,
      queue: {
        send: async (messages: RevalidationMessage[]) => {
          queueSendCalls += 1;
          queuedMessages += messages.length;
          await memoryQueue.send(messages);
        },
      },
      events: { publish: async (batch) => void events.push(...batch) },
      check: (check) => runCheck(check, { client }),
      clock: { now: () => new Date() },
      config: ServiceConfig.parse({}),
    });

    counter.reset();
    const dynaliteBeforeSweep = await dynamo.cpuMs();
    const swept = await timeWork(() => revalidation.sweep());
    const dynaliteSweep = (await dynamo.cpuMs()) - dynaliteBeforeSweep;
    const sweepCalls = counter.snapshot();
    if (swept.result.queued !== n) throw new Error(`the sweep queued ${swept.result.queued} of ${n}`);

    counter.reset();
    const outcomes: Record<string, number> = {};
    const dynaliteBeforeWork = await dynamo.cpuMs();
    const simulatorsBeforeWork = await childCpuMs(sims);
    const drained = await timeWork(async () => {
      // As local mode and the SQS worker do: batches of 10, the batch's messages in parallel.
      while (memoryQueue.size > 0) {
        const batch = memoryQueue.drain(10);
        const results = await Promise.allSettled(batch.map((m) => revalidation.work(m)));
        for (const r of results) {
          const key: WorkOutcome | 'failed' = r.status === 'fulfilled' ? r.value : 'failed';
          outcomes[key] = (outcomes[key] ?? 0) + 1;
        }
      }
    });
    const workCalls = counter.snapshot();
    const dynaliteWork = (await dynamo.cpuMs()) - dynaliteBeforeWork;
    const simulatorsWork = (await childCpuMs(sims)) - simulatorsBeforeWork;
    const checked = outcomes.checked ?? 0;
    const verdicts: Record<string, number> = {};
    for (const e of events) {
      if (e.detailType === 'CredentialChecked')
        verdicts[e.detail.verdict] = (verdicts[e.detail.verdict] ?? 0) + 1;
    }
    const stats = await sims.ask<
      Record<string, { total: number; maxConcurrent: number; violations: number }>
    >({
      stats: true,
    });
    return {
      credentials: n,
      seedSeconds: round(seedSeconds, 1),
      sweep: {
        ...swept.result,
        wallSeconds: round(swept.wallMs / 1000),
        cpuMs: round(swept.cpuMs, 0),
        cpuMsPerCredential: round(swept.cpuMs / n, 3),
        userMsPerCredential: round(swept.userMs / n, 3),
        systemMsPerCredential: round(swept.systemMs / n, 3),
        dynaliteCpuMsPerCredential: round(dynaliteSweep / n, 3),
        goalMsPerCredential: SWEEP_CPU_GOAL_MS,
        goalMet: swept.cpuMs / n <= SWEEP_CPU_GOAL_MS,
        dynamoCalls: sweepCalls,
        queueSendCalls,
        queuedMessages,
      },
      work: {
        outcomes,
        verdicts,
        wallSeconds: round(drained.wallMs / 1000),
        checksPerSecond: round(checked / (drained.wallMs / 1000), 0),
        cpuMs: round(drained.cpuMs, 0),
        cpuMsPerCheck: round(drained.cpuMs / Math.max(1, checked), 3),
        userMsPerCheck: round(drained.userMs / Math.max(1, checked), 3),
        systemMsPerCheck: round(drained.systemMs / Math.max(1, checked), 3),
        dynaliteCpuMsPerCheck: round(dynaliteWork / Math.max(1, checked), 3),
        simulatorsCpuMsPerCheck: round(simulatorsWork / Math.max(1, checked), 3),
        dynamoCallsPerCheck: Object.fromEntries(
          Object.entries(workCalls).map(([k, v]) => [k, round(v / Math.max(1, checked), 2)]),
        ),
        eventsPublished: events.length,
        vendorRequests: Object.fromEntries(Object.entries(stats).map(([k, v]) => [k, v.total])),
        maxConcurrentPerVendor: Object.fromEntries(
          Object.entries(stats).map(([k, v]) => [k, v.maxConcurrent]),
        ),
        precoroViolations: stats.precoro?.violations ?? 0,
      },
    };
  } finally {
    await client.close();
    lowLevel.destroy();
    seeder.destroy();
    await sims.stop();
    await dynamo.stop();
  }
}

export function printSweep(r: SweepBenchResult): string {
  const s = r.sweep;
  const w = r.work;
  return [
    `Sweep of ${r.credentials.toLocaleString('en')} due credentials (dynalite in a child process; seeded in ${r.seedSeconds} s)`,
    table(
      ['sweep', 'value'],
      [
        ['due / queued / skipped', `${s.due} / ${s.queued} / ${s.skipped}`],
        ['wall time', `${s.wallSeconds} s`],
        ['CPU (this process)', `${s.cpuMs} ms`],
        [
          'CPU per credential',
          `${s.cpuMsPerCredential} ms (user ${s.userMsPerCredential}, system ${s.systemMsPerCredential}); goal <= ${s.goalMsPerCredential} ms: ${yesNo(s.goalMet)}`,
        ],
        ['dynalite CPU per credential (child)', `${s.dynaliteCpuMsPerCredential} ms`],
        ['DynamoDB calls', describeCalls(s.dynamoCalls)],
        ['queue send calls', `${s.queueSendCalls} (${s.queuedMessages} messages)`],
      ],
    ),
    table(
      ['worker drain (batches of 10)', 'value'],
      [
        ['outcomes', describeCalls(w.outcomes)],
        ['verdicts', describeCalls(w.verdicts)],
        ['wall time', `${w.wallSeconds} s`],
        ['checks per second', w.checksPerSecond],
        [
          'CPU per check (this process)',
          `${w.cpuMsPerCheck} ms (user ${w.userMsPerCheck}, system ${w.systemMsPerCheck})`,
        ],
        [
          'dynalite / simulators CPU per check',
          `${w.dynaliteCpuMsPerCheck} / ${w.simulatorsCpuMsPerCheck} ms`,
        ],
        [
          'DynamoDB calls per check (change feed in process, as locally: its history PutItem included)',
          describeCalls(w.dynamoCallsPerCheck),
        ],
        ['vendor requests', describeCalls(w.vendorRequests)],
      ],
    ),
  ].join('\n');
}
