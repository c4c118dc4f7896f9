import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CheckRecord, Credential } from '../../shared/domain/credential.ts';
import { DynamoCredentialRepository } from '../../shared/store/dynamo-credential-repository.ts';
import { createDynamoClient, ensureCredentialsTable } from '../../shared/store/local-dynamo.ts';
import { childCpuMs, startChild } from './child.ts';

export interface DynaliteChild {
  endpoint: string;
  /** CPU time dynalite has used so far (ms). */
  cpuMs(): Promise<number>;
  stop(): Promise<void>;
}

/** dynalite in a child process (its CPU is not this process's), with the credentials table created. */
export async function startDynaliteChild(tableName: string): Promise<DynaliteChild> {
  const child = await startChild<{ endpoint: string }>('dynalite');
  const admin = createDynamoClient(child.ready.endpoint);
  try {
    await ensureCredentialsTable(admin, tableName);
  } finally {
    admin.destroy();
  }
  return { endpoint: child.ready.endpoint, cpuMs: () => childCpuMs(child), stop: () => child.stop() };
}

/** A document client over `client`, as the product builds it (undefined values removed). */
export const documentClientOf = (client: DynamoDBClient) =>
  DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });

type Item = Record<string, unknown>;

/** A repository whose writes only collect the items it would write. */
function capturingRepository(tableName: string): { repository: DynamoCredentialRepository; items: Item[] } {
  const items: Item[] = [];
  const repository = new DynamoCredentialRepository({
    client: {
      send: async (command: { input: { Item?: Item } }) => {
        if (command.input.Item) items.push(command.input.Item);
        return {};
      },
    } as unknown as DynamoDBDocumentClient,
    tableName,
  });
  return { repository, items };
}

/**
 * The exact items DynamoCredentialRepository.create writes (keys, sparse due-index attributes and all),
 * captured from the adapter itself instead of copying its layout here.
 */
export async function credentialItems(
  tableName: string,
  credentials: readonly Credential[],
): Promise<Item[]> {
  const { repository, items } = capturingRepository(tableName);
  for (const credential of credentials) await repository.create(credential);
  return items;
}

/** The exact history entries DynamoCredentialRepository.putCheck writes, captured the same way. */
export async function historyItems(tableName: string, records: readonly CheckRecord[]): Promise<Item[]> {
  const { repository, items } = capturingRepository(tableName);
  for (const record of records)
    await repository.putCheck(record, new Date(Date.parse(record.checkedAt) + 90 * 86_400_000));
  return items;
}

/** Seeds items with BatchWriteItem (25 per call, a few calls in flight), retrying unprocessed items. */
export async function batchSeed(
  doc: DynamoDBDocumentClient,
  tableName: string,
  items: readonly Record<string, unknown>[],
  parallel = 4,
): Promise<void> {
  const chunks: Record<string, unknown>[][] = [];
  for (let i = 0; i < items.length; i += 25) chunks.push(items.slice(i, i + 25));
  let next = 0;
  const worker = async () => {
    while (next < chunks.length) {
      let requests = (chunks[next++] ?? []).map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt > 20) throw new Error('seeding: items stayed unprocessed');
        const out = await doc.send(new BatchWriteCommand({ RequestItems: { [tableName]: requests } }));
        requests = (out.UnprocessedItems?.[tableName] ?? []) as typeof requests;
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}
