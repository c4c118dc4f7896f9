import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, UpdateCommand, type UpdateCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { CheckRecord, Credential, Page } from '../domain/credential.ts';
import {
  ConflictError,
  InvalidCursorError,
  NotFoundError,
  StorageError,
  VersionConflictError,
} from '../domain/errors.ts';
import { TABLE_LAYOUT } from '../domain/table-layout.ts';
import * as z from '../domain/zod.ts';
import {
  assertLimit,
  CREDENTIAL_PREFIX,
  checkSk,
  credentialSk,
  DUE,
  DynamoCredentialReader,
  decodeCursor,
  encodeCursor,
  historyPk,
  type Item,
  PK,
  parseCredential,
  SK,
  storageError,
  TTL,
  tenantPk,
} from './dynamo-credential-reader.ts';
import { packReport } from './packed-report.ts';
import { type CredentialRepository, type DueCredential, dueShardOf } from './ports.ts';

export { credentialOfItem } from './dynamo-credential-reader.ts';

/** The due-index partition of a shard, `DUE#07`. */
function dueShardKey(shard: number): string {
  return `DUE#${String(shard).padStart(2, '0')}`;
}

const DueKey = z.strictObject({
  [PK]: z.string(),
  [SK]: z.string(),
  [DUE.partitionKey]: z.string(),
  [DUE.sortKey]: z.string(),
});

/** Copies plain data without undefined values, which DynamoDB cannot store. */
function prune(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(prune);
  if (value !== null && typeof value === 'object') {
    const out: Item = {};
    for (const [key, inner] of Object.entries(value)) {
      if (inner !== undefined) out[key] = prune(inner);
    }
    return out;
  }
  return value;
}

function assertShard(shard: number): void {
  if (!Number.isInteger(shard) || shard < 0 || shard >= TABLE_LAYOUT.dueShards) {
    throw new RangeError(`shard must be an integer from 0 to ${TABLE_LAYOUT.dueShards - 1}`);
  }
}

function isConditionFailure(error: unknown): error is ConditionalCheckFailedException {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error instanceof Error && error.name === 'ConditionalCheckFailedException')
  );
}

/**
 * CredentialRepository on one DynamoDB table (layout in TABLE_LAYOUT): credentials and their check history
 * under tenant-derived keys, a sparse sharded index of due credentials, and only single-item conditional
 * writes, so it runs unchanged on dynalite. The reads are DynamoCredentialReader's.
 */
export class DynamoCredentialRepository extends DynamoCredentialReader implements CredentialRepository {
  async create(credential: Credential): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: credentialItem(credential),
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw new ConflictError('A credential with this id already exists.');
      throw storageError(error);
    }
  }

  async replace(credential: Credential, expectedVersion: number): Promise<Credential> {
    try {
      // ALL_OLD costs no extra capacity: the replaced item comes back with the write (the change feed's old image).
      const output = await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: credentialItem(credential),
          ConditionExpression: 'attribute_exists(#pk) AND #version = :expected',
          ExpressionAttributeNames: { '#pk': PK, '#version': 'version' },
          ExpressionAttributeValues: { ':expected': expectedVersion },
          ReturnValues: 'ALL_OLD',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return parseCredential(output.Attributes ?? {});
    } catch (error) {
      throw await this.conditionError(error, credential.tenantId, credential.id);
    }
  }

  async lease(due: DueCredential, leasedUntil: Date): Promise<number> {
    const { tenantId, id } = due;
    let output: UpdateCommandOutput;
    try {
      // Only the lease attributes: the due index's keys (its sort key is nextCheckAt; the shard is set too) and
      // the version. A full PutItem would send the whole item, last report included, for the same effect. The
      // new version comes back with the write (ReturnValues costs no capacity).
      output = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [PK]: tenantPk(tenantId), [SK]: credentialSk(id) },
          UpdateExpression: 'SET #next = :next, #shard = :shard ADD #version :one',
          ConditionExpression: 'attribute_exists(#pk) AND #next = :seen',
          ExpressionAttributeNames: {
            '#pk': PK,
            '#next': DUE.sortKey,
            '#shard': DUE.partitionKey,
            '#version': 'version',
          },
          ExpressionAttributeValues: {
            ':next': leasedUntil.toISOString(),
            ':shard': dueShardKey(dueShardOf(tenantId, id)),
            ':seen': due.nextCheckAt,
            ':one': 1,
          },
          ReturnValues: 'UPDATED_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    } catch (error) {
      throw await this.conditionError(error, tenantId, id);
    }
    const version = output.Attributes?.version;
    if (typeof version !== 'number') throw new StorageError('A lease returned no version.');
    return version;
  }

  async delete(tenantId: string, id: string, expectedVersion?: number): Promise<Credential> {
    try {
      // History items stay: they expire through their TTL.
      const output = await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { [PK]: tenantPk(tenantId), [SK]: credentialSk(id) },
          ConditionExpression:
            expectedVersion === undefined
              ? 'attribute_exists(#pk)'
              : 'attribute_exists(#pk) AND #version = :expected',
          ExpressionAttributeNames: {
            '#pk': PK,
            ...(expectedVersion === undefined ? {} : { '#version': 'version' }),
          },
          ...(expectedVersion === undefined
            ? {}
            : { ExpressionAttributeValues: { ':expected': expectedVersion } }),
          ReturnValues: 'ALL_OLD',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return parseCredential(output.Attributes ?? {});
    } catch (error) {
      throw await this.conditionError(error, tenantId, id);
    }
  }

  /** A failed conditional write: VersionConflictError if the item exists, NotFoundError if not. */
  protected async conditionError(error: unknown, tenantId: string, id: string): Promise<Error> {
    if (!isConditionFailure(error)) return storageError(error);
    // DynamoDB returns the current item with the failure; dynalite ignores the option, so read it instead.
    const exists = error.Item !== undefined || (await this.getItem(tenantId, id));
    return exists ? new VersionConflictError() : new NotFoundError();
  }

  async putCheck(record: CheckRecord, expiresAt: Date): Promise<void> {
    // Tenant, credential, time and check id are the keys, so the entry does not hold them again (parseCheck reads
    // them back from the keys): 90 days of history are most of what the table stores.
    const { tenantId, credentialId, checkedAt, checkId, report, ...rest } = record;
    try {
      // The key is deterministic (checkedAt + checkId), so a retried write overwrites its first attempt.
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...(prune(rest) as Item),
            report: packReport(report),
            [PK]: historyPk(tenantId, credentialId),
            [SK]: checkSk(checkedAt, checkId),
            kind: 'check',
            [TTL]: Math.floor(expiresAt.getTime() / 1000),
          },
        }),
      );
    } catch (error) {
      throw storageError(error);
    }
  }

  async listDue(
    shard: number,
    dueBefore: Date,
    options: { limit: number; cursor?: string | null },
  ): Promise<Page<DueCredential>> {
    assertLimit(options.limit);
    assertShard(shard);
    const shardKey = dueShardKey(shard);
    const before = dueBefore.toISOString();
    const start = options.cursor ? decodeCursor(options.cursor, DueKey) : undefined;
    if (start) {
      if (start[DUE.partitionKey] !== shardKey || !start[SK].startsWith(CREDENTIAL_PREFIX)) {
        throw new InvalidCursorError();
      }
      // A cursor already past a (now earlier) bound has nothing left; DynamoDB would reject it instead.
      if (start[DUE.sortKey] > before) return { items: [], nextCursor: null };
    }
    const { items, last } = await this.queryPage(
      {
        TableName: this.tableName,
        IndexName: DUE.name,
        KeyConditionExpression: '#shard = :shard AND #next <= :before',
        // What a lease needs, and the keys the next cursor is built from; not the last report and fields.
        ProjectionExpression: '#pk, #sk, #shard, #next, #tenant, #id',
        ExpressionAttributeNames: {
          '#shard': DUE.partitionKey,
          '#next': DUE.sortKey,
          '#pk': PK,
          '#sk': SK,
          '#tenant': 'tenantId',
          '#id': 'id',
        },
        ExpressionAttributeValues: { ':shard': shardKey, ':before': before },
        ScanIndexForward: true,
      },
      options.limit,
      start,
    );
    return {
      items: items.map(parseDueCredential),
      nextCursor: last
        ? encodeCursor({
            [PK]: last[PK],
            [SK]: last[SK],
            [DUE.partitionKey]: last[DUE.partitionKey],
            [DUE.sortKey]: last[DUE.sortKey],
          })
        : null,
    };
  }
}

function credentialItem(credential: Credential): Item {
  const item: Item = {
    ...(prune(credential) as Item),
    lastCheck: credential.lastCheck === null ? null : packReport(credential.lastCheck),
    [PK]: tenantPk(credential.tenantId),
    [SK]: credentialSk(credential.id),
    kind: 'credential',
  };
  // Sparse index: only a credential with a next check time carries the index keys, so a replace that sets
  // nextCheckAt to null drops it from the index. A NULL would not do: DynamoDB rejects an index key
  // attribute of the wrong type, so the attribute is left out and read back as null.
  if (credential.nextCheckAt === null) {
    delete item[DUE.sortKey];
  } else {
    item[DUE.partitionKey] = dueShardKey(dueShardOf(credential.tenantId, credential.id));
  }
  return item;
}

const DueItem = z.object({
  tenantId: z.string().check(z.minLength(1)),
  id: z.string().check(z.minLength(1)),
  [DUE.sortKey]: z.string(),
});

function parseDueCredential(item: Item): DueCredential {
  const parsed = DueItem.safeParse(item);
  if (!parsed.success)
    throw new StorageError('A stored credential item is malformed.', { cause: parsed.error });
  const { tenantId, id, nextCheckAt } = parsed.data;
  return { tenantId, id, nextCheckAt };
}
