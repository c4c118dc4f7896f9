import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConditionalCheckFailedException,
  DeleteTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageError } from '../../shared/domain/errors.ts';
import { TABLE_LAYOUT } from '../../shared/domain/table-layout.ts';
import { DynamoCredentialRepository } from '../../shared/store/dynamo-credential-repository.ts';
import { credentialChangeOf } from '../../shared/store/dynamo-stream.ts';
import {
  createDynamoClient,
  ensureCredentialsTable,
  type LocalDynamo,
  startLocalDynamo,
} from '../../shared/store/local-dynamo.ts';
import { MemoryCredentialRepository } from '../../shared/store/memory-credential-repository.ts';
import { dueShardOf } from '../../shared/store/ports.ts';
import {
  baseReport,
  checkRecord,
  credential,
  describeCredentialRepositoryContract,
  dueOf,
} from './credential-repository.contract.ts';

/** A due time for leases whose condition is decided by a mocked DynamoDB. */
const NOW = '2025-01-01T00:00:00.000Z';

describeCredentialRepositoryContract('in memory', async () => ({
  repo: new MemoryCredentialRepository(),
  cleanup: async () => {},
}));

let dynamo: LocalDynamo;
let raw: DynamoDBClient;
let documents: DynamoDBDocumentClient;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  raw = createDynamoClient(dynamo.endpoint);
  documents = DynamoDBDocumentClient.from(raw);
});

afterAll(async () => {
  raw.destroy();
  await dynamo.close();
});

/** A fresh table per test, so the due index (which spans tenants) starts empty. */
async function freshTable(): Promise<string> {
  const tableName = `credentials-${randomUUID()}`;
  await ensureCredentialsTable(raw, tableName);
  return tableName;
}

describeCredentialRepositoryContract('DynamoDB on dynalite', async () => {
  const tableName = await freshTable();
  return {
    repo: new DynamoCredentialRepository({ client: documents, tableName }),
    cleanup: async () => {
      await raw.send(new DeleteTableCommand({ TableName: tableName }));
    },
  };
});

describe('DynamoCredentialRepository item layout', () => {
  it('writes the key layout the CDK stack and the sweep rely on', async () => {
    const tableName = await freshTable();
    const repo = new DynamoCredentialRepository({ client: documents, tableName });
    const due = credential({ nextCheckAt: '2025-03-01T00:00:00.000Z' });
    await repo.create(due);
    const shard = String(dueShardOf('tenant-a', 'cred-1')).padStart(2, '0');

    const key = { pk: 'T#tenant-a', sk: 'C#cred-1' };
    const item = (await documents.send(new GetCommand({ TableName: tableName, Key: key }))).Item;
    expect(item).toMatchObject({
      ...key,
      kind: 'credential',
      dueShard: `DUE#${shard}`,
      nextCheckAt: due.nextCheckAt,
    });

    await repo.replace({ ...due, version: 2, nextCheckAt: null }, 1);
    const unindexed = (await documents.send(new GetCommand({ TableName: tableName, Key: key }))).Item;
    expect(unindexed).toMatchObject({ ...key, kind: 'credential', version: 2 });
    expect(unindexed).not.toHaveProperty('dueShard');
    expect(unindexed).not.toHaveProperty('nextCheckAt');

    const expiresAt = new Date('2026-01-01T00:00:00.900Z');
    await repo.putCheck(checkRecord(), expiresAt);
    const check = (
      await documents.send(
        new GetCommand({
          TableName: tableName,
          Key: { pk: 'T#tenant-a#C#cred-1', sk: 'K#2025-01-02T03:04:05.678Z#check-1' },
        }),
      )
    ).Item;
    expect(check).toMatchObject({
      kind: 'check',
      statusAfter: 'valid',
      expiresAt: Math.floor(expiresAt.getTime() / 1000),
    });
    // The check id and the time are in the sort key, tenant and credential in the partition key: not again.
    expect(check).not.toHaveProperty('checkId');
  });

  it('creates the table per TABLE_LAYOUT, and again is a no-op', async () => {
    const tableName = await freshTable();
    await ensureCredentialsTable(raw, tableName);
    const table = (await raw.send(new DescribeTableCommand({ TableName: tableName }))).Table;
    expect(table?.KeySchema).toEqual([
      { AttributeName: TABLE_LAYOUT.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE_LAYOUT.sortKey, KeyType: 'RANGE' },
    ]);
    expect(table?.GlobalSecondaryIndexes?.[0]).toMatchObject({
      IndexName: TABLE_LAYOUT.dueIndex.name,
      Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['tenantId', 'id'] },
    });
  });

  it('ignores stray items that are neither credentials of the tenant nor its checks', async () => {
    const tableName = await freshTable();
    const repo = new DynamoCredentialRepository({ client: documents, tableName });
    await repo.create(credential());
    await documents.send(new PutCommand({ TableName: tableName, Item: { pk: 'T#tenant-a', sk: 'X#other' } }));
    expect((await repo.list('tenant-a', { limit: 10 })).items.map((item) => item.id)).toEqual(['cred-1']);
  });

  it('reports a malformed stored item as a StorageError without its contents', async () => {
    const tableName = await freshTable();
    const repo = new DynamoCredentialRepository({ client: documents, tableName });
    await documents.send(
      new PutCommand({
        TableName: tableName,
        Item: { pk: 'T#tenant-a', sk: 'C#bad', name: 'secret-looking' },
      }),
    );
    const error = await repo.get('tenant-a', 'bad').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StorageError);
    expect(String((error as Error).message)).not.toContain('secret-looking');
  });

  it('stores reports packed, and still reads the reports of items written before packing', async () => {
    const tableName = await freshTable();
    const repo = new DynamoCredentialRepository({ client: documents, tableName });
    const packed = credential();
    await repo.create(packed);
    await repo.putCheck(checkRecord(), new Date('2030-01-01T00:00:00.000Z'));
    const key = { pk: 'T#tenant-a', sk: 'C#cred-1' };
    const item = (await documents.send(new GetCommand({ TableName: tableName, Key: key }))).Item;
    expect(item?.lastCheck).toBeInstanceOf(Uint8Array);
    expect(await repo.get('tenant-a', 'cred-1')).toEqual(packed);
    const history = await repo.listChecks('tenant-a', 'cred-1', { limit: 5 });
    expect(history.items).toEqual([checkRecord()]);

    // An item and a history entry as an earlier version wrote them: the report as a map.
    await documents.send(
      new PutCommand({
        TableName: tableName,
        Item: { ...item, sk: 'C#legacy', id: 'legacy', lastCheck: baseReport },
      }),
    );
    expect((await repo.get('tenant-a', 'legacy'))?.lastCheck).toEqual(baseReport);
    await documents.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          ...checkRecord({ credentialId: 'legacy' }),
          pk: 'T#tenant-a#C#legacy',
          sk: 'K#2025-01-02T03:04:05.678Z#check-1',
          kind: 'check',
          expiresAt: 1_900_000_000,
        },
      }),
    );
    expect((await repo.listChecks('tenant-a', 'legacy', { limit: 5 })).items).toEqual([
      checkRecord({ credentialId: 'legacy' }),
    ]);
  });

  it('keeps tenant, credential, time and check id of a history entry in its keys only, and reads them back from there', async () => {
    const tableName = await freshTable();
    const repo = new DynamoCredentialRepository({ client: documents, tableName });
    // Ids with the separator and the escape character in them.
    const record = checkRecord({
      tenantId: 'tenant#%23a',
      credentialId: 'cred#1%',
      checkId: 'sched:cred#1%:7',
    });
    await repo.putCheck(record, new Date('2030-01-01T00:00:00.000Z'));
    const stored = await documents.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'T#tenant%23%2523a#C#cred%231%25' },
      }),
    );
    expect(stored.Items).toHaveLength(1);
    for (const field of ['tenantId', 'credentialId', 'checkedAt', 'checkId']) {
      expect(stored.Items?.[0]).not.toHaveProperty(field);
    }
    expect((await repo.listChecks('tenant#%23a', 'cred#1%', { limit: 5 })).items).toEqual([record]);
  });

  it("reads a packed report from the stream's images as Lambda delivers them (binary as base64)", async () => {
    const tableName = await freshTable();
    const repo = new DynamoCredentialRepository({ client: documents, tableName });
    const stored = credential({ nextCheckAt: '2025-03-01T00:00:00.000Z' });
    await repo.create(stored);
    const image = (
      await raw.send(
        new GetItemCommand({ TableName: tableName, Key: { pk: { S: 'T#tenant-a' }, sk: { S: 'C#cred-1' } } }),
      )
    ).Item;
    // What the event's JSON holds: Uint8Array values serialised as base64 strings.
    const asDelivered = JSON.parse(
      JSON.stringify(image, (_key, value) =>
        value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value,
      ),
    );
    expect(typeof asDelivered.lastCheck.B).toBe('string');
    expect(credentialChangeOf({ dynamodb: { NewImage: asDelivered } })).toEqual({
      before: null,
      after: stored,
    });
  });

  it('reports a damaged packed report as a StorageError without its contents', async () => {
    const tableName = await freshTable();
    const repo = new DynamoCredentialRepository({ client: documents, tableName });
    await repo.create(credential());
    await documents.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { pk: 'T#tenant-a', sk: 'C#cred-1' },
        UpdateExpression: 'SET lastCheck = :damaged',
        ExpressionAttributeValues: { ':damaged': Uint8Array.of(1, 0xff, 0x00, 0x13) },
      }),
    );
    const error = await repo.get('tenant-a', 'cred-1').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as Error).message).toBe('A stored report cannot be unpacked.');
  });

  it('reports a malformed item in the due index as a StorageError without its contents', async () => {
    const tableName = await freshTable();
    const repo = new DynamoCredentialRepository({ client: documents, tableName });
    await documents.send(
      new PutCommand({
        TableName: tableName,
        // In the index, but with an id that is not one.
        Item: {
          pk: 'T#tenant-a',
          sk: 'C#bad',
          tenantId: 'secret-looking',
          id: 42,
          dueShard: 'DUE#00',
          nextCheckAt: '2025-01-01T00:00:00.000Z',
        },
      }),
    );
    const error = await repo
      .listDue(0, new Date('2025-01-02T00:00:00.000Z'), { limit: 5 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StorageError);
    expect(String((error as Error).message)).not.toContain('secret-looking');
  });
});

/** Headers of a request or a response, as SDK middleware sees them. */
type HttpMessage = { headers: Record<string, string | undefined> };

describe('DynamoCredentialRepository lease and due reads', () => {
  it('reads and writes only the lease attributes: requests and answers stay small however large the item is', async () => {
    const tableName = await freshTable();
    const client = createDynamoClient(dynamo.endpoint);
    const requests = new Map<string, number[]>();
    const answers = new Map<string, number[]>();
    const record = (into: Map<string, number[]>, operation: string, length: string | undefined) =>
      into.set(operation, [...(into.get(operation) ?? []), Number(length)]);
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const operation = String(context.commandName);
        record(requests, operation, (args.request as HttpMessage).headers['content-length']);
        const out = await next(args);
        record(answers, operation, (out.response as HttpMessage).headers['content-length']);
        return out;
      },
      { step: 'finalizeRequest', name: 'messageSizes' },
    );
    try {
      const repo = new DynamoCredentialRepository({ client: DynamoDBDocumentClient.from(client), tableName });
      const large = credential({ nextCheckAt: '2025-01-01T00:00:00.000Z', description: 'x'.repeat(20_000) });
      await repo.create(large);
      expect(await repo.lease(dueOf(large), new Date('2025-01-01T00:15:00.000Z'))).toBe(2);
      const shard = dueShardOf('tenant-a', 'cred-1');
      const due = await repo.listDue(shard, new Date('2025-01-02T00:00:00.000Z'), { limit: 5 });

      expect(requests.get('PutItemCommand')?.[0]).toBeGreaterThan(20_000);
      const [lease, ...more] = requests.get('UpdateItemCommand') ?? [];
      expect(more).toEqual([]);
      expect(lease).toBeLessThan(1024);
      expect(due.items).toEqual([
        { tenantId: 'tenant-a', id: 'cred-1', nextCheckAt: '2025-01-01T00:15:00.000Z' },
      ]);
      expect(answers.get('QueryCommand')).toHaveLength(1);
      expect(answers.get('QueryCommand')?.[0]).toBeLessThan(1024);
      expect(await repo.get('tenant-a', 'cred-1')).toEqual({
        ...large,
        version: 2,
        nextCheckAt: '2025-01-01T00:15:00.000Z',
      });
    } finally {
      client.destroy();
    }
  });

  it('decides a failed lease from the item DynamoDB returns, without another read', async () => {
    const mock = mockClient(DynamoDBDocumentClient);
    try {
      const client = DynamoDBDocumentClient.from(createDynamoClient('http://127.0.0.1:9'));
      const repo = new DynamoCredentialRepository({ client, tableName: 'credentials' });
      mock.on(UpdateCommand).rejects(
        new ConditionalCheckFailedException({
          message: 'The conditional request failed',
          $metadata: {},
          Item: { pk: { S: 'T#tenant-a' }, sk: { S: 'C#cred-1' }, version: { N: '3' } },
        }),
      );
      await expect(repo.lease(dueOf(credential({ nextCheckAt: NOW })), new Date())).rejects.toMatchObject({
        code: 'version_conflict',
      });
      expect(mock.commandCalls(GetCommand)).toHaveLength(0);

      mock
        .on(UpdateCommand)
        .rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));
      mock.on(GetCommand).resolves({});
      await expect(repo.lease(dueOf(credential({ nextCheckAt: NOW })), new Date())).rejects.toMatchObject({
        code: 'not_found',
      });
    } finally {
      mock.restore();
    }
  });
});

describe('DynamoCredentialRepository when DynamoDB fails', () => {
  it('turns every SDK failure into a StorageError that keeps the cause and hides the item', async () => {
    // A port that was free a moment ago: the connection is refused at once.
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    const client = createDynamoClient(`http://127.0.0.1:${port}`);
    const repo = new DynamoCredentialRepository({
      client: DynamoDBDocumentClient.from(client),
      tableName: 'credentials',
    });
    const item = credential({ name: 'Do not leak me' });
    const calls: [string, () => Promise<unknown>][] = [
      ['create', () => repo.create(item)],
      ['get', () => repo.get('tenant-a', 'cred-1')],
      ['list', () => repo.list('tenant-a', { limit: 5, connector: 'odoo' })],
      ['replace', () => repo.replace(item, 1)],
      ['lease', () => repo.lease(dueOf(credential({ nextCheckAt: NOW })), new Date())],
      ['delete', () => repo.delete('tenant-a', 'cred-1')],
      ['putCheck', () => repo.putCheck(checkRecord(), new Date())],
      ['listChecks', () => repo.listChecks('tenant-a', 'cred-1', { limit: 5 })],
      ['listDue', () => repo.listDue(0, new Date(), { limit: 5 })],
    ];
    try {
      for (const [name, call] of calls) {
        const error = await call().catch((caught: unknown) => caught);
        expect(error, name).toBeInstanceOf(StorageError);
        expect((error as StorageError).code, name).toBe('storage_unavailable');
        expect((error as StorageError).cause, name).toBeInstanceOf(Error);
        expect((error as StorageError).message, name).not.toContain('Do not leak me');
      }
    } finally {
      client.destroy();
    }
  });

  it('decides a failed replace from the item DynamoDB returns, without another read', async () => {
    const mock = mockClient(DynamoDBDocumentClient);
    try {
      const client = DynamoDBDocumentClient.from(createDynamoClient('http://127.0.0.1:9'));
      const repo = new DynamoCredentialRepository({ client, tableName: 'credentials' });
      mock.on(PutCommand).rejects(
        new ConditionalCheckFailedException({
          message: 'The conditional request failed',
          $metadata: {},
          Item: { pk: { S: 'T#tenant-a' }, sk: { S: 'C#cred-1' }, version: { N: '3' } },
        }),
      );
      await expect(repo.replace(credential({ version: 2 }), 1)).rejects.toMatchObject({
        code: 'version_conflict',
      });
      expect(mock.commandCalls(GetCommand)).toHaveLength(0);

      mock.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));
      mock.on(GetCommand).resolves({});
      await expect(repo.replace(credential({ version: 2 }), 1)).rejects.toMatchObject({ code: 'not_found' });
    } finally {
      mock.restore();
    }
  });
});

describe('startLocalDynamo with a path', () => {
  it('keeps the data across a close and a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'credval-dynalite-'));
    try {
      const path = join(dir, 'db');
      const first = await startLocalDynamo({ path });
      let client = createDynamoClient(first.endpoint);
      await ensureCredentialsTable(client, 'credentials');
      const stored = credential({ nextCheckAt: '2025-01-01T00:00:00.000Z' });
      await new DynamoCredentialRepository({
        client: DynamoDBDocumentClient.from(client),
        tableName: 'credentials',
      }).create(stored);
      client.destroy();
      await first.close();

      const second = await startLocalDynamo({ path });
      client = createDynamoClient(second.endpoint);
      try {
        await ensureCredentialsTable(client, 'credentials');
        const repo = new DynamoCredentialRepository({
          client: DynamoDBDocumentClient.from(client),
          tableName: 'credentials',
        });
        expect(await repo.get('tenant-a', 'cred-1')).toEqual(stored);
        const shard = dueShardOf('tenant-a', 'cred-1');
        expect((await repo.listDue(shard, new Date('2025-01-02T00:00:00.000Z'), { limit: 5 })).items).toEqual(
          [dueOf(stored)],
        );
      } finally {
        client.destroy();
        await second.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
