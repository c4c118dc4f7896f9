// Part 3b: one sweep over 20,000 due credentials (2,000 with BENCH_QUICK) with a fixed latency added to every
// DynamoDB and SQS call, as a network to AWS would add it: how long until all of them are queued, how many
// calls that takes, and what each lease costs in DynamoDB write units on a realistic item (one carrying the
// last report of a real check against the vendor simulators).
//
// DynamoDB is dynalite in a child process behind the real DynamoCredentialRepository, its client delayed by an
// SDK middleware; SQS is the real SqsRevalidationQueue over an aws-sdk-client-mock client that answers after
// the same delay. Write units come from DynamoDB's own answer (`ReturnConsumedCapacity`), request bytes from the
// serialised request.
import { createRequire } from 'node:module';
import { type AttributeValue, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { prepareCheck, runCheck } from '../shared/connectors/check.ts';
import type { Credential } from '../shared/domain/credential.ts';
import type { Report } from '../shared/domain/report.ts';
import { TABLE_LAYOUT } from '../shared/domain/table-layout.ts';
import { createGuardedClient } from '../shared/net/guarded-client.ts';
import { Sweep, type SweepResult } from '../shared/service/sweep.ts';
import { DynamoCredentialRepository } from '../shared/store/dynamo-credential-repository.ts';
import { createDynamoClient } from '../shared/store/local-dynamo.ts';
import { SqsRevalidationQueue } from '../shared/store/sqs-queue.ts';
import type { SimulatorsInit } from './children/simulators.ts';
import { CallCounter, countDynamoCalls, describeCalls } from './lib/aws-counter.ts';
import { addLatency, measureWrites, type WriteCost } from './lib/aws-latency.ts';
import { startChild } from './lib/child.ts';
import { SIZES } from './lib/config.ts';
import {
  batchSeed,
  credentialItems,
  documentClientOf,
  historyItems,
  startDynaliteChild,
} from './lib/dynamo.ts';
import { fakeSqs } from './lib/fake-aws.ts';
import { round, table, timeWork, yesNo } from './lib/stats.ts';
import { seedPlan } from './sweep.ts';

const TABLE = 'credval-bench-sweep-scale';
const { partitionKey: PK, sortKey: SK } = TABLE_LAYOUT;
/** Added to every DynamoDB and SQS call: a realistic round trip from Lambda to either service. */
export const ADDED_LATENCY_MS = 5;
/** The goal: 20,000 due credentials queued within 20 s. */
export const SWEEP_SCALE_GOAL_SECONDS = 20;

// dynalite's own item sizing (the formula DynamoDB documents: attribute names plus values), for the item size
// shown beside the write units.
const dynaliteDb = createRequire(import.meta.url)('dynalite/db/index.js') as {
  itemSize(item: Record<string, AttributeValue>): number;
};

export interface SweepScaleResult {
  credentials: number;
  addedLatencyMs: number;
  seedSeconds: number;
  sweep: SweepResult;
  wallSeconds: number;
  goalSeconds: number;
  goalMet: boolean;
  cpuMs: number;
  dynaliteCpuMs: number;
  dynamoCalls: Record<string, number>;
  sqsCalls: number;
  messagesQueued: number;
  distinctCredentialsQueued: number;
  /** Size of a due credential item as stored, per vendor (bytes, DynamoDB's sizing). */
  itemBytes: Record<string, number>;
  /** Size of its entry in the due index (keys and projected attributes), per vendor. */
  indexEntryBytes: Record<string, number>;
  /** Size of the history entry a check of it leaves (the same report, packed), per vendor. */
  historyEntryBytes: Record<string, number>;
  lease: {
    operation: string;
    /** Write units of the base table per lease, as DynamoDB reported them. */
    tableWcu: number;
    /**
     * A lease moves the item within the due index (its sort key changes): one index delete and one index put of
     * its entry (keys and the projected attributes), each billed like a table write of that size. dynalite reports
     * no index capacity, so this is derived from the entry's size.
     */
    indexWcu: number;
    requestBytes: number;
  };
}

/** One real check per vendor against the simulators, so stored items carry the report a real check leaves. */
async function realisticReports(): Promise<Map<string, Report>> {
  const sample = seedPlan(3);
  const sims = await startChild<Record<string, string>>('simulators', {
    init: sample.simulators satisfies SimulatorsInit,
  });
  const client = createGuardedClient({ egressAllow: ['127.0.0.0/8'] });
  try {
    const reports = new Map<string, Report>();
    for (const { credential, secret } of sample.credentials(sims.ready, Date.now())) {
      const check = prepareCheck({
        connector: credential.connector,
        fields: { ...credential.fields, ...secret },
        requirements: credential.requirements,
      });
      const report = await runCheck(check, { client });
      if (report.verdict !== 'valid') throw new Error(`the sample ${credential.connector} check failed`);
      reports.set(credential.connector, report);
    }
    return reports;
  } finally {
    await client.close();
    await sims.stop();
  }
}

export async function benchSweepScale(): Promise<SweepScaleResult> {
  const n = SIZES.sweepScaleCredentials;
  const reports = await realisticReports();
  const dynamo = await startDynaliteChild(TABLE);
  const seeder = createDynamoClient(dynamo.endpoint);
  const lowLevel = createDynamoClient(dynamo.endpoint);
  const counter = new CallCounter();
  const writes = new Map<string, WriteCost>();
  countDynamoCalls(lowLevel, counter);
  measureWrites(lowLevel, writes);
  addLatency(lowLevel, ADDED_LATENCY_MS);
  const sqs = fakeSqs(counter, { latencyMs: ADDED_LATENCY_MS });
  try {
    const seedStart = performance.now();
    const credentials: Credential[] = seedPlan(n)
      .credentials(
        {
          dolibarr: 'https://erp.example.com',
          odoo: 'https://odoo.example.com',
          precoro: 'https://api.precoro.com',
        },
        Date.now(),
      )
      .map(({ credential }) => ({
        ...credential,
        lastCheck: reports.get(credential.connector) ?? null,
        monitor: {
          ...credential.monitor,
          lastCheckId: `sched:${credential.id}:1`,
          lastStatusBefore: 'valid',
        },
      }));
    const items = await credentialItems(TABLE, credentials);
    await batchSeed(documentClientOf(seeder), TABLE, items);
    const seedSeconds = (performance.now() - seedStart) / 1000;
    // One stored item per vendor (the plan cycles through the three), read back as DynamoDB holds it; the vendors
    // have a third of the credentials each, so the index units per lease are the plain average over the three.
    const itemBytes: Record<string, number> = {};
    const indexEntryBytes: Record<string, number> = {};
    for (const item of items.slice(0, 3)) {
      const stored = await seeder.send(
        new GetItemCommand({
          TableName: TABLE,
          Key: { [PK]: { S: String(item[PK]) }, [SK]: { S: String(item[SK]) } },
        }),
      );
      if (!stored.Item) continue;
      // An index entry holds the index keys, the table keys and the projected attributes only.
      const kept = new Set<string>([
        PK,
        SK,
        TABLE_LAYOUT.dueIndex.partitionKey,
        TABLE_LAYOUT.dueIndex.sortKey,
        ...TABLE_LAYOUT.dueIndex.projectedAttributes,
      ]);
      const entry = Object.fromEntries(Object.entries(stored.Item).filter(([name]) => kept.has(name)));
      itemBytes[String(item.connector)] = dynaliteDb.itemSize(stored.Item);
      indexEntryBytes[String(item.connector)] = dynaliteDb.itemSize(entry);
    }
    // The history entry of one check per vendor, as the change feed writes it (DynamoDB's sizing of that item).
    const historyEntryBytes: Record<string, number> = {};
    for (const credential of credentials.slice(0, 3)) {
      const report = credential.lastCheck as Report;
      const [entry] = await historyItems(TABLE, [
        {
          tenantId: credential.tenantId,
          credentialId: credential.id,
          checkId: `sched:${credential.id}:2`,
          checkedAt: report.checkedAt,
          trigger: 'schedule',
          statusBefore: 'valid',
          statusAfter: 'valid',
          report,
        },
      ]);
      if (entry) historyEntryBytes[credential.connector] = dynaliteDb.itemSize(marshall(entry));
    }
    const sizes = Object.values(indexEntryBytes);
    const indexWcu = sizes.reduce((sum, bytes) => sum + 2 * Math.ceil(bytes / 1024), 0) / sizes.length;

    const revalidation = new Sweep({
      repository: new DynamoCredentialRepository({ client: documentClientOf(lowLevel), tableName: TABLE }),
      queue: new SqsRevalidationQueue({ client: sqs.client, queueUrl: 'https://sqs.local/bench' }),
      clock: { now: () => new Date() },
    });

    counter.reset();
    writes.clear();
    const dynaliteBefore = await dynamo.cpuMs();
    const swept = await timeWork(() => revalidation.sweep());
    const dynaliteCpuMs = (await dynamo.cpuMs()) - dynaliteBefore;
    const calls = counter.snapshot();
    const distinct = new Set(sqs.received.map((m) => `${m.tenantId}/${m.credentialId}`)).size;
    if (swept.result.queued !== n || sqs.received.length !== n || distinct !== n) {
      throw new Error(
        `the sweep queued ${swept.result.queued} of ${n} (${sqs.received.length} messages, ${distinct} distinct)`,
      );
    }
    const [operation, cost] = [...writes][0] ?? ['none', { calls: 0, capacityUnits: 0, requestBytes: 0 }];
    if (writes.size !== 1 || cost.calls !== n)
      throw new Error(`expected one lease write per credential, got ${JSON.stringify([...writes])}`);
    const tableWcu = cost.capacityUnits / cost.calls;
    const dynamoCalls = Object.fromEntries(
      Object.entries(calls)
        .filter(([key]) => key.startsWith('DynamoDB:'))
        .map(([key, value]) => [key.slice('DynamoDB:'.length), value]),
    );
    return {
      credentials: n,
      addedLatencyMs: ADDED_LATENCY_MS,
      seedSeconds: round(seedSeconds, 1),
      sweep: swept.result,
      wallSeconds: round(swept.wallMs / 1000),
      goalSeconds: SWEEP_SCALE_GOAL_SECONDS,
      goalMet: swept.wallMs / 1000 <= SWEEP_SCALE_GOAL_SECONDS,
      cpuMs: round(swept.cpuMs, 0),
      dynaliteCpuMs: round(dynaliteCpuMs, 0),
      dynamoCalls,
      sqsCalls: calls['SQS:SendMessageBatch'] ?? 0,
      messagesQueued: sqs.received.length,
      distinctCredentialsQueued: distinct,
      itemBytes,
      indexEntryBytes,
      historyEntryBytes,
      lease: {
        operation,
        tableWcu: round(tableWcu, 2),
        indexWcu: round(indexWcu, 2),
        requestBytes: round(cost.requestBytes / cost.calls, 0),
      },
    };
  } finally {
    lowLevel.destroy();
    seeder.destroy();
    await dynamo.stop();
  }
}

export function printSweepScale(r: SweepScaleResult): string {
  const s = r.sweep;
  return [
    `One sweep of ${r.credentials.toLocaleString('en')} due credentials, +${r.addedLatencyMs} ms on every DynamoDB and SQS call (dynalite in a child process; seeded in ${r.seedSeconds} s)`,
    table(
      ['sweep at scale', 'value'],
      [
        ['due / queued / skipped', `${s.due} / ${s.queued} / ${s.skipped}`],
        ['time to queue all', `${r.wallSeconds} s; goal <= ${r.goalSeconds} s: ${yesNo(r.goalMet)}`],
        ['CPU: this process / dynalite', `${r.cpuMs} / ${r.dynaliteCpuMs} ms`],
        ['DynamoDB calls', describeCalls(r.dynamoCalls)],
        [
          'SQS SendMessageBatch calls',
          `${r.sqsCalls} (${r.messagesQueued} messages, ${r.distinctCredentialsQueued} distinct credentials)`,
        ],
        ['credential item (with its last report)', `${describeCalls(r.itemBytes)} bytes`],
        ['its due index entry', `${describeCalls(r.indexEntryBytes)} bytes`],
        ['the history entry of a check', `${describeCalls(r.historyEntryBytes)} bytes`],
        [
          `write units per lease (${r.lease.operation})`,
          `${r.lease.tableWcu} table + ${r.lease.indexWcu} due index = ${round(r.lease.tableWcu + r.lease.indexWcu)}`,
        ],
        ['request bytes per lease', `${r.lease.requestBytes}`],
      ],
    ),
  ].join('\n');
}
