// Part 8: what storing and checking credentials costs a month on AWS, per secret store, from the calls per
// operation that parts 4 and 4b count, the write units and item sizes that part 3b measures, and the AWS list
// prices below. Lambda compute is left out (it depends on the memory chosen and on the vendors' answer times);
// Lambda requests are in. Where a figure is not measured here it is named as an assumption in ASSUMPTIONS.
import { TABLE_LAYOUT } from '../shared/domain/table-layout.ts';
import { BRANCH_KEY_CACHE_MS } from '../shared/store/branch-keys.ts';
import type { AwsCallsResult } from './aws-calls.ts';
import { round, table } from './lib/stats.ts';
import type { SweepScaleResult } from './sweep-scale.ts';

/** AWS list prices, us-east-1, on-demand, in USD (aws.amazon.com pricing pages as of 2026-12). */
export const PRICES = {
  dynamoWriteUnit: 0.625 / 1e6,
  dynamoReadUnit: 0.125 / 1e6,
  dynamoStorageGbMonth: 0.25,
  /** Continuous backups (point-in-time recovery, on in the stateful stack), per GB-month of table size. */
  dynamoPitrGbMonth: 0.2,
  secretsManagerSecretMonth: 0.4,
  secretsManagerCall: 0.05 / 1e4,
  kmsKeyMonth: 1,
  kmsRequest: 0.03 / 1e4,
  eventBridgeEvent: 1 / 1e6,
  sqsRequest: 0.4 / 1e6,
  lambdaRequest: 0.2 / 1e6,
  xrayTrace: 5 / 1e6,
  logsIngestGb: 0.5,
} as const;

/** Figures this model needs that no bench part measures. */
export const ASSUMPTIONS = {
  checksPerDay: 4,
  daysPerMonth: 30.42,
  /** HISTORY_TTL_DAYS default: history entries are kept this long (TTL deletes are free). */
  historyDays: 90,
  /** DynamoDB counts 100 bytes of overhead per stored item and per index entry. */
  itemOverheadBytes: 100,
  /** The worker takes 10 messages per invocation (stack: batchSize 10); the change feed sees ~10 records a batch. */
  checksPerWorkerInvocation: 10,
  checksPerChangeFeedInvocation: 10,
  /** SQS requests per check: 1/10 SendMessageBatch, 1/10 ReceiveMessage, 1/10 DeleteMessageBatch. */
  sqsRequestsPerCheck: 0.3,
  /** The event source mapping's long polls while the queue is empty (5 pollers, one 20 s poll each). */
  sqsIdlePollsPerMonth: 5 * 3 * 60 * 24 * 30.42,
  /** Sweep (every 5 minutes) and reconciliation (every 6 hours) invocations a month. */
  scheduledInvocationsPerMonth: 12 * 24 * 30.42 + 4 * 30.42,
  /** X-Ray's default sampling: the first request each second and 5% of the rest, per function. */
  xraySampled: (invocationsPerSecond: number) =>
    Math.min(invocationsPerSecond, 1 + 0.05 * Math.max(0, invocationsPerSecond - 1)),
  /** The reconciliation's ListSecrets calls per secret and run (100 secrets a page). */
  listSecretsPerSecret: 0.01,
  /** Log bytes per check (the worker's and the change feed's lines; not measured). */
  logBytesPerCheck: 600,
  /**
   * KMS's real ciphertext blob for a 256-bit data key is larger than the test double's; ~184 bytes is what a
   * symmetric KMS key returns (not measurable here).
   */
  kmsDataKeyBlobBytes: 184,
  /**
   * Containers that read or write envelope secrets, each decrypting the branch key again every BRANCH_KEY_CACHE_MS
   * while it works: the worker containers the checks keep busy (a check takes ~1 s, 10 to an invocation, at most
   * the stack's default `workerConcurrency` of 5 at once) and, for the API's create, re-check and rotation, 5 more.
   */
  secondsPerCheck: 1,
  workerConcurrency: 5,
  apiSecretContainers: 5,
} as const;

export interface CostInputs {
  /** Per store: the worker's calls for one scheduled re-check, and the change feed's for the check it stored. */
  calls: Record<
    'secretsmanager' | 'envelope',
    { worker: Record<string, number>; changeFeed: Record<string, number> }
  >;
  /** The envelope secret item with two versions (current and previous), and its KMS blob per version (0: branch keys). */
  envelopeSecretItem: { twoVersions: number; dataKeyBlob: number };
  /** Part 3b: one lease's write units (table, due index) and the stored credential items' sizes. */
  lease: { tableWcu: number; indexWcu: number };
  credentialItemBytes: number;
  indexEntryBytes: number;
  /** Part 3b: the history entry a check leaves (its report packed as in the item). */
  historyEntryBytes: number;
}

export interface CostLine {
  item: string;
  monthly: number;
}

export interface StoreCost {
  store: 'secretsmanager' | 'envelope';
  credentials: number;
  lines: CostLine[];
  total: number;
  perThousand: number;
}

export interface CostModelResult {
  inputs: CostInputs;
  perCheck: Record<
    'secretsmanager' | 'envelope',
    { writeUnits: number; readUnits: number; kmsRequests: number }
  >;
  scenarios: StoreCost[];
  /**
   * The envelope store with `checkedEvents=changes`: routine scheduled checks publish no CredentialChecked (the
   * others, verdict changes and status changes, are rare and not counted).
   */
  quietEvents: StoreCost[];
  /** Goal (issue "a million credentials"): envelope <= $1 per 1,000 credentials a month, Lambda compute aside. */
  goalPerThousand: number;
  goalMet: boolean;
}

export const ENVELOPE_GOAL_PER_THOUSAND = 1;

const count = (calls: Record<string, number>, name: string) => calls[name] ?? 0;
const unitsOf = (bytes: number, unit: number) => Math.max(1, Math.ceil(bytes / unit));

/** The cost model proper: a pure function of the measured inputs, the prices and the assumptions. */
export function monthlyCosts(
  inputs: CostInputs,
  credentials: number,
  checkedEvents: 'all' | 'changes' = 'all',
): StoreCost[] {
  const A = ASSUMPTIONS;
  const checks = credentials * A.checksPerDay * A.daysPerMonth;
  const seconds = A.daysPerMonth * 86_400;
  const historyBytes = inputs.historyEntryBytes;
  const storedPerCredential =
    inputs.credentialItemBytes +
    A.itemOverheadBytes +
    inputs.indexEntryBytes +
    A.itemOverheadBytes +
    A.historyDays * A.checksPerDay * (historyBytes + A.itemOverheadBytes);
  const envelopeItem = envelopeSecretItemBytes(inputs);

  return (['secretsmanager', 'envelope'] as const).map((store) => {
    const { worker, changeFeed } = inputs.calls[store];
    const perCheck = perCheckUnits(inputs, store);
    const bytes = credentials * (storedPerCredential + (store === 'envelope' ? envelopeItem : 0));
    const gb = bytes / 1e9;
    const workerInvocations = checks / A.checksPerWorkerInvocation;
    const feedInvocations = checks / A.checksPerChangeFeedInvocation;
    const traced =
      (A.xraySampled(workerInvocations / seconds) + A.xraySampled(feedInvocations / seconds)) * seconds +
      A.scheduledInvocationsPerMonth;
    const lines: CostLine[] = [
      {
        item: 'DynamoDB writes (lease, check, history)',
        monthly: checks * perCheck.writeUnits * PRICES.dynamoWriteUnit,
      },
      {
        item: 'DynamoDB reads (check, reconciliation)',
        monthly: checks * perCheck.readUnits * PRICES.dynamoReadUnit,
      },
      { item: 'DynamoDB storage', monthly: gb * PRICES.dynamoStorageGbMonth },
      { item: 'DynamoDB point-in-time recovery', monthly: gb * PRICES.dynamoPitrGbMonth },
      ...(store === 'secretsmanager'
        ? [
            { item: 'Secrets Manager secrets', monthly: credentials * PRICES.secretsManagerSecretMonth },
            {
              item: 'Secrets Manager calls',
              monthly:
                checks *
                (count(worker, 'SecretsManager:GetSecretValue') + A.listSecretsPerSecret) *
                PRICES.secretsManagerCall,
            },
          ]
        : []),
      {
        item: 'KMS requests',
        monthly:
          (checks * perCheck.kmsRequests +
            (store === 'envelope' ? branchKeyDecryptsPerMonth(credentials) : 0)) *
          PRICES.kmsRequest,
      },
      { item: 'KMS key', monthly: PRICES.kmsKeyMonth },
      {
        item: 'EventBridge events',
        monthly:
          checkedEvents === 'all'
            ? checks * count(changeFeed, 'EventBridge:PutEvents') * PRICES.eventBridgeEvent
            : 0,
      },
      {
        item: 'SQS requests',
        monthly: (checks * A.sqsRequestsPerCheck + A.sqsIdlePollsPerMonth) * PRICES.sqsRequest,
      },
      {
        item: 'Lambda requests (compute not included)',
        monthly:
          (workerInvocations + feedInvocations + A.scheduledInvocationsPerMonth) * PRICES.lambdaRequest,
      },
      { item: 'X-Ray traces', monthly: traced * PRICES.xrayTrace },
      { item: 'CloudWatch Logs', monthly: ((checks * A.logBytesPerCheck) / 1e9) * PRICES.logsIngestGb },
    ];
    const total = lines.reduce((sum, line) => sum + line.monthly, 0);
    return { store, credentials, lines, total, perThousand: (total / credentials) * 1000 };
  });
}

/** Write units, read units and KMS requests of one scheduled check, sweep lease and change feed included. */
export function perCheckUnits(i: CostInputs, store: 'secretsmanager' | 'envelope') {
  const { worker, changeFeed } = i.calls[store];
  // The lease moves the credential in the due index (its nextCheckAt changes to the next regular check). A routine
  // check keeps that time, so its write (billed by the item's size, like the lease) writes the index only if the
  // entry holds an attribute the check changes; it projects only the credential's tenant and id, which never
  // change. A check that changes the schedule (a rejection, a status change) moves the entry again; those are rare
  // and left out.
  const lease = i.lease.tableWcu + i.lease.indexWcu;
  const indexUpdate = projectsChangingAttributes() ? unitsOf(i.indexEntryBytes, 1024) : 0;
  const check = count(worker, 'DynamoDB:PutItem') > 0 ? i.lease.tableWcu + indexUpdate : 0;
  const history = count(changeFeed, 'DynamoDB:PutItem') * unitsOf(i.historyEntryBytes, 1024);
  // Strongly consistent reads: one unit per 4 kB; the envelope secret item fits one.
  const credentialRead = unitsOf(i.credentialItemBytes, 4096);
  const reads = count(worker, 'DynamoDB:GetItem');
  const secretRead = unitsOf(envelopeSecretItemBytes(i), 4096);
  // The reconciliation (every 6 hours, as often as the checks) reads each credential item once, and in the
  // envelope store lists the secret items themselves (Secrets Manager lists them by ListSecrets, 100 a call).
  const reconcile = credentialRead + (store === 'envelope' ? envelopeSecretItemBytes(i) / 4096 : 0);
  const readUnits = credentialRead + Math.max(0, reads - 1) * secretRead + reconcile;
  // Secrets Manager decrypts with the stack's KMS key on every GetSecretValue; the envelope store calls Decrypt
  // for a branch key only when its container's cache has none (priced per container in monthlyCosts), so a check
  // in a warm container (what part 4b counts) calls none.
  const kmsRequests =
    store === 'secretsmanager'
      ? count(worker, 'SecretsManager:GetSecretValue')
      : count(worker, 'KMS:Decrypt');
  return { writeUnits: lease + check + history, readUnits, kmsRequests };
}

/** Whether the due index holds an attribute a check may change (anything but the credential's tenant and id). */
function projectsChangingAttributes(): boolean {
  const fixed = new Set(['tenantId', 'id']);
  return TABLE_LAYOUT.dueIndex.projectedAttributes.some((attribute) => !fixed.has(attribute));
}

/**
 * The envelope secret item with its per-item overhead. Versions sealed under a branch key hold no KMS blob; a
 * version with a data key of its own (before branch keys) would hold KMS's real one, larger than the test double's.
 */
function envelopeSecretItemBytes(i: CostInputs): number {
  const { twoVersions, dataKeyBlob } = i.envelopeSecretItem;
  const realBlobs = dataKeyBlob > 0 ? 2 * (ASSUMPTIONS.kmsDataKeyBlobBytes - dataKeyBlob) : 0;
  return twoVersions + realBlobs + ASSUMPTIONS.itemOverheadBytes;
}

/** Containers that touch envelope secrets at once, for `credentials` checked on the assumed schedule. */
export function secretContainers(credentials: number): number {
  const A = ASSUMPTIONS;
  const checksPerSecond = (credentials * A.checksPerDay) / 86_400;
  const busyWorkers = Math.ceil((checksPerSecond * A.secondsPerCheck) / A.checksPerWorkerInvocation);
  return Math.min(A.workerConcurrency, Math.max(1, busyWorkers)) + A.apiSecretContainers;
}

/** Branch key decrypts a month: every secret-touching container, once per cache period. */
export function branchKeyDecryptsPerMonth(credentials: number): number {
  const minutes = ASSUMPTIONS.daysPerMonth * 24 * 60;
  return secretContainers(credentials) * (minutes / (BRANCH_KEY_CACHE_MS / 60_000));
}

/** The model's inputs from this run's parts 3b, 4 and 4b. */
export function costInputsOf(
  calls: AwsCallsResult,
  callsEnvelope: AwsCallsResult,
  sweepScale: SweepScaleResult,
): CostInputs {
  const op = (r: AwsCallsResult, prefix: string) => {
    const found = r.operations.find((o) => o.operation.startsWith(prefix));
    if (!found) throw new Error(`cost model: no "${prefix}" operation in part 4 (${r.secretStore})`);
    return found.calls;
  };
  const callsOf = (r: AwsCallsResult) => ({
    worker: op(r, 'scheduled re-check'),
    changeFeed: op(r, 'change feed'),
  });
  if (!callsEnvelope.footprint) throw new Error('cost model: part 4b measured no envelope secret item');
  const mean = (record: Record<string, number>) => {
    const values = Object.values(record);
    return values.reduce((a, b) => a + b, 0) / values.length;
  };
  return {
    calls: { secretsmanager: callsOf(calls), envelope: callsOf(callsEnvelope) },
    envelopeSecretItem: {
      twoVersions: callsEnvelope.footprint.twoVersions,
      dataKeyBlob: callsEnvelope.footprint.dataKeyBlob,
    },
    lease: { tableWcu: sweepScale.lease.tableWcu, indexWcu: sweepScale.lease.indexWcu },
    credentialItemBytes: Math.round(mean(sweepScale.itemBytes)),
    indexEntryBytes: Math.round(mean(sweepScale.indexEntryBytes)),
    historyEntryBytes: Math.round(mean(sweepScale.historyEntryBytes)),
  };
}

export function costModel(inputs: CostInputs): CostModelResult {
  const scenarios = [10_000, 1_000_000].flatMap((n) => monthlyCosts(inputs, n));
  const envelope = scenarios.filter((s) => s.store === 'envelope');
  const perCheck = {
    secretsmanager: perCheckUnits(inputs, 'secretsmanager'),
    envelope: perCheckUnits(inputs, 'envelope'),
  };
  const quietEvents = [10_000, 1_000_000].flatMap((n) =>
    monthlyCosts(inputs, n, 'changes').filter((s) => s.store === 'envelope'),
  );
  return {
    inputs,
    perCheck,
    scenarios,
    quietEvents,
    goalPerThousand: ENVELOPE_GOAL_PER_THOUSAND,
    goalMet: envelope.every((s) => s.perThousand <= ENVELOPE_GOAL_PER_THOUSAND),
  };
}

const usd = (n: number) =>
  n >= 100 ? `$${Math.round(n).toLocaleString('en')}` : `$${n.toFixed(n >= 1 ? 2 : 3)}`;

export function printCostModel(r: CostModelResult): string {
  const names = r.scenarios[0]?.lines.map((l) => l.item) ?? [];
  const allNames = [...new Set([...names, ...r.scenarios.flatMap((s) => s.lines.map((l) => l.item))])];
  const header = ['a month', ...r.scenarios.map((s) => `${s.credentials.toLocaleString('en')} ${s.store}`)];
  const rows = allNames.map((name) => [
    name,
    ...r.scenarios.map((s) => {
      const line = s.lines.find((l) => l.item === name);
      return line ? usd(line.monthly) : '–';
    }),
  ]);
  rows.push(['total', ...r.scenarios.map((s) => usd(s.total))]);
  rows.push(['per 1,000 credentials', ...r.scenarios.map((s) => usd(s.perThousand))]);
  const i = r.inputs;
  return [
    `Monthly AWS cost of storing and checking credentials every 6 hours (us-east-1 list prices; Lambda compute aside)`,
    table(header, rows),
    `per check: write units ${round(r.perCheck.envelope.writeUnits, 2)} (lease ${round(i.lease.tableWcu + i.lease.indexWcu, 2)}, check's write, history entry), ` +
      `read units ${round(r.perCheck.secretsmanager.readUnits, 2)} (Secrets Manager) / ${round(r.perCheck.envelope.readUnits, 2)} (envelope), KMS requests ${r.perCheck.envelope.kmsRequests}`,
    `inputs: credential item ${i.credentialItemBytes} B, due index entry ${i.indexEntryBytes} B, history entry ${i.historyEntryBytes} B, envelope secret item (2 versions) ${i.envelopeSecretItem.twoVersions} B; KMS: branch key decrypts every ${BRANCH_KEY_CACHE_MS / 60_000} minutes in ${secretContainers(10_000)} containers at 10,000 and ${secretContainers(1_000_000)} at 1,000,000 (${Math.round(branchKeyDecryptsPerMonth(10_000)).toLocaleString('en')} and ${Math.round(branchKeyDecryptsPerMonth(1_000_000)).toLocaleString('en')} a month)`,
    `envelope with checkedEvents=changes (no CredentialChecked for routine scheduled checks): ${r.quietEvents.map((s) => `${usd(s.perThousand)} per 1,000 at ${s.credentials.toLocaleString('en')}`).join(', ')}`,
    `goal envelope <= $${r.goalPerThousand} per 1,000 credentials a month: ${r.goalMet ? 'met' : 'MISSED'}`,
  ].join('\n');
}
