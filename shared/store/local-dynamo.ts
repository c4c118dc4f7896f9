import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import { TABLE_LAYOUT } from '../domain/table-layout.ts';

/** A running dynalite server. */
export interface LocalDynamo {
  endpoint: string;
  close(): Promise<void>;
}

/**
 * Starts dynalite on a free loopback port: on disk under `path` (local mode keeps its data across restarts),
 * else in memory (tests).
 */
export async function startLocalDynamo(options: { path?: string } = {}): Promise<LocalDynamo> {
  if (options.path !== undefined) await mkdir(options.path, { recursive: true });
  const server = dynalite({
    ...(options.path !== undefined ? { path: options.path } : {}),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        // dynalite's close waits for every connection to end and then closes LevelDB, which releases the
        // folder's lock so that another server can open it.
        server.close((error?: Error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

/** Options for clients of a local endpoint. */
export interface LocalClientOptions {
  /** 1 by default: a local server does not throttle, and tests want failures at once. */
  maxAttempts?: number;
}

/** A low-level DynamoDB client for a local endpoint, with dummy credentials (no AWS account is involved). */
export function createDynamoClient(
  endpoint: string,
  region = 'local',
  options: LocalClientOptions = {},
): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: options.maxAttempts ?? 1,
  });
}

/** A document client for a local endpoint, with dummy credentials. */
export function createDocumentClient(
  endpoint: string,
  region = 'local',
  options: LocalClientOptions = {},
): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(createDynamoClient(endpoint, region, options), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

/**
 * Creates the credentials table exactly as the CDK stack does (TABLE_LAYOUT) unless it exists, and waits
 * until it is active. Idempotent. The TTL setting is left out: dynalite has no UpdateTimeToLive, and it
 * deletes nothing anyway. Throws if an existing table has another key layout.
 */
export async function ensureCredentialsTable(client: DynamoDBClient, tableName: string): Promise<void> {
  let table = await describe(client, tableName);
  if (!table) {
    try {
      await client.send(
        new CreateTableCommand({
          TableName: tableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: TABLE_LAYOUT.partitionKey, AttributeType: 'S' },
            { AttributeName: TABLE_LAYOUT.sortKey, AttributeType: 'S' },
            { AttributeName: TABLE_LAYOUT.dueIndex.partitionKey, AttributeType: 'S' },
            { AttributeName: TABLE_LAYOUT.dueIndex.sortKey, AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: TABLE_LAYOUT.partitionKey, KeyType: 'HASH' },
            { AttributeName: TABLE_LAYOUT.sortKey, KeyType: 'RANGE' },
          ],
          GlobalSecondaryIndexes: [
            {
              IndexName: TABLE_LAYOUT.dueIndex.name,
              KeySchema: [
                { AttributeName: TABLE_LAYOUT.dueIndex.partitionKey, KeyType: 'HASH' },
                { AttributeName: TABLE_LAYOUT.dueIndex.sortKey, KeyType: 'RANGE' },
              ],
              Projection: {
                ProjectionType: 'INCLUDE',
                NonKeyAttributes: [...TABLE_LAYOUT.dueIndex.projectedAttributes],
              },
            },
          ],
        }),
      );
    } catch (error) {
      // Another process created it first: fine, it is the same table.
      if (!(error instanceof ResourceInUseException)) throw error;
    }
    table = await describe(client, tableName);
  }
  for (let attempt = 0; table?.TableStatus !== 'ACTIVE'; attempt++) {
    if (attempt >= 200) throw new Error(`Table ${tableName} did not become active.`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    table = await describe(client, tableName);
  }
  assertLayout(table, tableName);
}

async function describe(client: DynamoDBClient, tableName: string): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

function assertLayout(table: TableDescription, tableName: string): void {
  const keys = (schema: { AttributeName?: string; KeyType?: string }[] | undefined) =>
    (schema ?? []).map((key) => `${key.AttributeName}:${key.KeyType}`).join(',');
  const index = table.GlobalSecondaryIndexes?.find((gsi) => gsi.IndexName === TABLE_LAYOUT.dueIndex.name);
  const ok =
    keys(table.KeySchema) === `${TABLE_LAYOUT.partitionKey}:HASH,${TABLE_LAYOUT.sortKey}:RANGE` &&
    keys(index?.KeySchema) ===
      `${TABLE_LAYOUT.dueIndex.partitionKey}:HASH,${TABLE_LAYOUT.dueIndex.sortKey}:RANGE` &&
    // A data dir made before the index projected only what the sweep reads has ALL, which serves as well.
    (index?.Projection?.ProjectionType === 'ALL' ||
      TABLE_LAYOUT.dueIndex.projectedAttributes.every((a) =>
        index?.Projection?.NonKeyAttributes?.includes(a),
      ));
  if (!ok) throw new Error(`Table ${tableName} exists with a different key layout than TABLE_LAYOUT.`);
}
