// The change feed on AWS: the table's DynamoDB stream (NEW_AND_OLD_IMAGES) feeds functions/change-feed.ts.
// Items are written by the real repository to dynalite and read back raw, so each stream record carries the exact
// images DynamoDB would; the consumer writes history to the same table and publishes through a recording bus.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { type AttributeValue, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeChangeFeedHandler } from '../../shared/app/handlers/change-feed.ts';
import { type Credential, FRESH_MONITOR } from '../../shared/domain/credential.ts';
import { StorageError } from '../../shared/domain/errors.ts';
import type { CredentialEvent } from '../../shared/domain/events.ts';
import type { Report } from '../../shared/domain/report.ts';
import { ChangeFeedConsumer } from '../../shared/service/change-feed.ts';
import { DynamoCredentialRepository } from '../../shared/store/dynamo-credential-repository.ts';
import {
  createDocumentClient,
  createDynamoClient,
  ensureCredentialsTable,
  type LocalDynamo,
  startLocalDynamo,
} from '../../shared/store/local-dynamo.ts';

const TABLE = 'credval-change-feed';
const TENANT = 'tenant-a';
type Image = Record<string, AttributeValue>;

const context = {
  functionName: 'credval-change-feed',
  awsRequestId: 'req-1',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:111111111111:function:credval-change-feed',
  memoryLimitInMB: '512',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

const report = (verdict: Report['verdict'], checkedAt: string): Report => ({
  verdict,
  reason: verdict === 'valid' ? null : 'invalid_credentials',
  message: verdict === 'valid' ? 'The API key works.' : 'The API key is refused.',
  field: null,
  retryable: false,
  retryAfterSeconds: null,
  identity: null,
  vendor: {},
  permissions: [],
  warnings: [],
  probes: [],
  checkedAt,
  durationMs: 10,
});

describe('the change feed: history and events from the stream of stored items', () => {
  let dynamo: LocalDynamo;
  let repository: DynamoCredentialRepository;
  let events: CredentialEvent[];
  let failPublish: number;
  let handler: ReturnType<typeof makeChangeFeedHandler>;
  let sequence = 100;

  const raw = async (id: string): Promise<Image | null> => {
    const client = createDynamoClient(dynamo.endpoint);
    try {
      const { Item } = await client.send(
        new GetItemCommand({ TableName: TABLE, Key: { pk: { S: `T#${TENANT}` }, sk: { S: `C#${id}` } } }),
      );
      return (Item as Image) ?? null;
    } finally {
      client.destroy();
    }
  };
  const record = (eventName: 'INSERT' | 'MODIFY' | 'REMOVE', before: Image | null, after: Image | null) => {
    sequence += 1;
    const image = (after ?? before) as Image;
    return {
      eventID: `e-${sequence}`,
      eventName,
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'eu-west-1',
      dynamodb: {
        Keys: { pk: image.pk, sk: image.sk },
        ...(before ? { OldImage: before } : {}),
        ...(after ? { NewImage: after } : {}),
        SequenceNumber: String(sequence),
        SizeBytes: 2048,
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
      eventSourceARN: `arn:aws:dynamodb:eu-west-1:111111111111:table/${TABLE}/stream/2026-12-07T00:00:00.000`,
    } as unknown as DynamoDBRecord;
  };
  const batch = (...records: DynamoDBRecord[]): DynamoDBStreamEvent => ({ Records: records });

  const credential = (id: string, overrides: Partial<Credential> = {}): Credential => ({
    tenantId: TENANT,
    id,
    connector: 'dolibarr',
    name: id,
    description: '',
    fields: { baseUrl: 'https://erp.example.com' },
    requirements: [],
    status: 'valid',
    lastCheck: report('valid', '2026-12-07T10:00:00.000Z'),
    version: 1,
    createdAt: '2026-12-07T10:00:00.000Z',
    updatedAt: '2026-12-07T10:00:00.000Z',
    nextCheckAt: '2026-12-07T16:00:00.000Z',
    secretName: `credval/${TENANT}/${id}`,
    secretVersion: id,
    monitor: { ...FRESH_MONITOR, lastCheckId: 'v1', lastStatusBefore: null, lastTrigger: 'create' },
    ...overrides,
  });
  const history = async (id: string) =>
    (await repository.listChecks(TENANT, id, { limit: 10 })).items.map(
      (h) => `${h.checkId}:${h.trigger}:${h.statusBefore}->${h.statusAfter}`,
    );

  beforeAll(async () => {
    dynamo = await startLocalDynamo();
    const admin = createDynamoClient(dynamo.endpoint);
    await ensureCredentialsTable(admin, TABLE);
    admin.destroy();
    repository = new DynamoCredentialRepository({
      client: createDocumentClient(dynamo.endpoint),
      tableName: TABLE,
    });
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  });
  afterAll(async () => {
    await dynamo.close();
  });
  beforeEach(() => {
    events = [];
    failPublish = 0;
    const consumer = new ChangeFeedConsumer({
      repository,
      events: {
        publish: async (batch) => {
          if (failPublish > 0) {
            failPublish -= 1;
            throw new StorageError('injected: EventBridge unavailable');
          }
          events.push(...batch);
        },
      },
      historyTtlDays: 90,
      clock: { now: () => new Date('2026-12-07T10:00:00Z') },
    });
    handler = makeChangeFeedHandler(consumer, {
      logger: new Logger({ serviceName: 'credval-test', logLevel: 'SILENT' }),
      metrics: new Metrics({ namespace: 'credval-test', serviceName: 'credval-test' }),
    });
  });

  it('INSERT of a created credential: its first check in the history, CredentialChecked, no status change', async () => {
    await repository.create(credential('c-insert'));
    const response = await handler(batch(record('INSERT', null, await raw('c-insert'))), context);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(await history('c-insert')).toEqual(['v1:create:null->valid']);
    expect(events.map((e) => e.detailType)).toEqual(['CredentialChecked']);
    expect(events[0]?.detail).toMatchObject({ credentialId: 'c-insert', checkId: 'v1', verdict: 'valid' });
  });

  it('a writer that died right after storing a check loses nothing: the stream still brings it', async () => {
    // The worker wrote the item, then died before anything else ran: no history, no event from it.
    const before = credential('c-crash');
    await repository.create(before);
    const oldImage = await raw('c-crash');
    await repository.replace(
      credential('c-crash', {
        version: 2,
        status: 'invalid',
        lastCheck: report('invalid', '2026-12-07T16:00:00.000Z'),
        monitor: {
          ...FRESH_MONITOR,
          lastCheckId: 'sched:c-crash:2',
          lastStatusBefore: 'valid',
          lastTrigger: 'schedule',
        },
      }),
      1,
    );
    const response = await handler(batch(record('MODIFY', oldImage, await raw('c-crash'))), context);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(await history('c-crash')).toEqual(['sched:c-crash:2:schedule:valid->invalid']);
    expect(events.map((e) => [e.detailType, e.detail.checkId])).toEqual([
      ['CredentialChecked', 'sched:c-crash:2'],
      ['CredentialStatusChanged', 'sched:c-crash:2'],
    ]);
    expect(events[1]?.detail).toMatchObject({ from: 'valid', to: 'invalid', reason: 'invalid_credentials' });
  });

  it('MODIFY without a new check (a lease, a rename) and REMOVE announce nothing and write no history', async () => {
    await repository.create(credential('c-quiet'));
    const first = await raw('c-quiet');
    await repository.replace(credential('c-quiet', { version: 2, name: 'renamed', nextCheckAt: null }), 1);
    const renamed = await raw('c-quiet');
    await repository.delete(TENANT, 'c-quiet');
    const response = await handler(
      batch(record('MODIFY', first, renamed), record('REMOVE', renamed, null)),
      context,
    );
    expect(response).toEqual({ batchItemFailures: [] });
    expect(events).toEqual([]);
    expect(await history('c-quiet')).toEqual([]);
  });

  it('a redelivered record writes its history once and republishes with the same checkId', async () => {
    await repository.create(credential('c-again'));
    const image = await raw('c-again');
    const insert = record('INSERT', null, image);
    await handler(batch(insert), context);
    await handler(batch(insert), context);
    expect(await history('c-again')).toEqual(['v1:create:null->valid']);
    expect(events.map((e) => e.detail.checkId)).toEqual(['v1', 'v1']);
  });

  it('reports only the record whose events failed, so the stream retries from it; the rest is done', async () => {
    await repository.create(credential('c-fail-1'));
    await repository.create(credential('c-fail-2'));
    const one = record('INSERT', null, await raw('c-fail-1'));
    const two = record('INSERT', null, await raw('c-fail-2'));
    failPublish = 1;
    const response = await handler(batch(one, two), context);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: one.dynamodb?.SequenceNumber }] });
    expect(events.map((e) => e.detail.credentialId)).toEqual(['c-fail-2']);
    // The retry succeeds and the history of the first exists once.
    expect(await handler(batch(one), context)).toEqual({ batchItemFailures: [] });
    expect(await history('c-fail-1')).toEqual(['v1:create:null->valid']);
  });

  it('ignores items that are not credentials (history entries, idempotency records, configuration)', async () => {
    const other = {
      pk: { S: 'IDEMPOTENCY' },
      sk: { S: 'credval#abc' },
      status: { S: 'COMPLETED' },
    } as Image;
    expect(await handler(batch(record('INSERT', null, other)), context)).toEqual({ batchItemFailures: [] });
    expect(events).toEqual([]);
  });

  it('fails a record whose image is malformed rather than dropping it: retried, bisected, then set aside', async () => {
    await repository.create(credential('c-good'));
    const good = record('INSERT', null, await raw('c-good'));
    const broken = { pk: { S: `T#${TENANT}` }, sk: { S: 'C#broken' }, kind: { S: 'credential' } } as Image;
    const bad = record('INSERT', null, broken);
    expect(await handler(batch(good, bad), context)).toEqual({
      batchItemFailures: [{ itemIdentifier: bad.dynamodb?.SequenceNumber }],
    });
    // Alone in its batch, the whole invocation fails (Powertools: every record failed), as the stream expects.
    await expect(handler(batch(bad), context)).rejects.toThrow(/All records failed/);
  });
});
