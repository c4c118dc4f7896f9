import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  type QueryCommandOutput,
  UpdateCommand,
  type UpdateCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { CheckRecord, Credential, type Page } from '../domain/credential.ts';
import {
  ConflictError,
  InvalidCursorError,
  NotFoundError,
  StorageError,
  VersionConflictError,
} from '../domain/errors.ts';
import { TABLE_LAYOUT } from '../domain/table-layout.ts';
import * as z from '../domain/zod.ts';
import { packReport, unpackReport } from './packed-report.ts';
import {
  type Clock,
  type CredentialRepository,
  type DueCredential,
  dueShardOf,
  type ListOptions,
} from './ports.ts';

type Item = Record<string, unknown>;

const { partitionKey: PK, sortKey: SK, timeToLiveAttribute: TTL } = TABLE_LAYOUT;
const DUE = TABLE_LAYOUT.dueIndex;
const CREDENTIAL_PREFIX = TABLE_LAYOUT.credentialSortKeyPrefix;
const CHECK_PREFIX = 'K#';
/** Attributes that exist only in storage; everything else on an item is a domain field. */
const STORAGE_ATTRIBUTES = [PK, SK, 'kind', DUE.partitionKey, TTL] as const;
/** Rows a query with a connector or status filter reads per request, so a sparse filter needs few round trips. */
const FILTERED_BATCH = 100;
/** Keys are at most 2 KB (pk) + 1 KB (sk); base64 of their JSON stays well below this. */
const MAX_CURSOR_LENGTH = 8192;

/**
 * Escapes the separator so that `T#<tenant>#C#<id>` stays unambiguous for any tenant or id: without it,
 * tenant `a#C#b` could share a partition with tenant `a`'s credential `b`. Ids without `#` or `%` are
 * stored as they are.
 */
function keyPart(value: string): string {
  return value.replaceAll('%', '%25').replaceAll('#', '%23');
}

/** The value `keyPart` escaped (it leaves no `#` and no `%` but in `%23` and `%25`). */
function fromKeyPart(part: string): string {
  return part.replaceAll('%23', '#').replaceAll('%25', '%');
}

function tenantPk(tenantId: string): string {
  return `T#${keyPart(tenantId)}`;
}

function credentialSk(id: string): string {
  return `${CREDENTIAL_PREFIX}${keyPart(id)}`;
}

function historyPk(tenantId: string, credentialId: string): string {
  return `${tenantPk(tenantId)}#C#${keyPart(credentialId)}`;
}

function checkSk(checkedAt: string, checkId: string): string {
  return `${CHECK_PREFIX}${keyPart(checkedAt)}#${keyPart(checkId)}`;
}

/** The due-index partition of a shard, `DUE#07`. */
function dueShardKey(shard: number): string {
  return `DUE#${String(shard).padStart(2, '0')}`;
}

const TableKey = z.strictObject({ [PK]: z.string(), [SK]: z.string() });
const DueKey = z.strictObject({
  [PK]: z.string(),
  [SK]: z.string(),
  [DUE.partitionKey]: z.string(),
  [DUE.sortKey]: z.string(),
});

function encodeCursor(key: Item): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

function decodeCursor<S extends z.ZodMiniType<Item>>(cursor: string, schema: S): z.infer<S> {
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw new InvalidCursorError();
  }
  try {
    return schema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw new InvalidCursorError();
  }
}

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

function domainFields(item: Item): Item {
  const fields: Item = { ...item };
  for (const attribute of STORAGE_ATTRIBUTES) delete fields[attribute];
  return fields;
}

function assertLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError('limit must be a positive integer');
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

const systemClock: Clock = { now: () => new Date() };

/**
 * CredentialRepository on one DynamoDB table (layout in TABLE_LAYOUT): credentials and their check history
 * under tenant-derived keys, a sparse sharded index of due credentials, and only single-item conditional
 * writes, so it runs unchanged on dynalite.
 */
export class DynamoCredentialRepository implements CredentialRepository {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #clock: Clock;

  constructor(options: { client: DynamoDBDocumentClient; tableName: string; clock?: Clock }) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#clock = options.clock ?? systemClock;
  }

  async create(credential: Credential): Promise<void> {
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#tableName,
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

  async get(tenantId: string, id: string): Promise<Credential | null> {
    const item = await this.#getItem(tenantId, id);
    return item ? parseCredential(item) : null;
  }

  async list(tenantId: string, options: ListOptions): Promise<Page<Credential>> {
    assertLimit(options.limit);
    const pk = tenantPk(tenantId);
    const start = options.cursor ? decodeCursor(options.cursor, TableKey) : undefined;
    // The query's own key condition already pins the partition; checking the cursor too turns a foreign or
    // forged cursor into a clear error instead of a DynamoDB validation failure.
    if (start && (start[PK] !== pk || !start[SK].startsWith(CREDENTIAL_PREFIX)))
      throw new InvalidCursorError();

    const names: Record<string, string> = { '#pk': PK, '#sk': SK };
    const values: Item = { ':pk': pk, ':prefix': CREDENTIAL_PREFIX };
    const filters: string[] = [];
    if (options.connector !== undefined) {
      names['#connector'] = 'connector';
      values[':connector'] = options.connector;
      filters.push('#connector = :connector');
    }
    if (options.status !== undefined) {
      names['#status'] = 'status';
      values[':status'] = options.status;
      filters.push('#status = :status');
    }
    const { items, last } = await this.#queryPage(
      {
        TableName: this.#tableName,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ...(filters.length > 0 ? { FilterExpression: filters.join(' AND ') } : {}),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
      options.limit,
      start,
      filters.length > 0 ? FILTERED_BATCH : 0,
    );
    return {
      items: items.map(parseCredential),
      nextCursor: last ? encodeCursor({ [PK]: last[PK], [SK]: last[SK] }) : null,
    };
  }

  async replace(credential: Credential, expectedVersion: number): Promise<Credential> {
    try {
      // ALL_OLD costs no extra capacity: the replaced item comes back with the write (the change feed's old image).
      const output = await this.#client.send(
        new PutCommand({
          TableName: this.#tableName,
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
      throw await this.#conditionError(error, credential.tenantId, credential.id);
    }
  }

  async lease(due: DueCredential, leasedUntil: Date): Promise<number> {
    const { tenantId, id } = due;
    let output: UpdateCommandOutput;
    try {
      // Only the lease attributes: the due index's keys (its sort key is nextCheckAt; the shard is set too) and
      // the version. A full PutItem would send the whole item, last report included, for the same effect. The
      // new version comes back with the write (ReturnValues costs no capacity).
      output = await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
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
      throw await this.#conditionError(error, tenantId, id);
    }
    const version = output.Attributes?.version;
    if (typeof version !== 'number') throw new StorageError('A lease returned no version.');
    return version;
  }

  async delete(tenantId: string, id: string, expectedVersion?: number): Promise<Credential> {
    try {
      // History items stay: they expire through their TTL.
      const output = await this.#client.send(
        new DeleteCommand({
          TableName: this.#tableName,
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
      throw await this.#conditionError(error, tenantId, id);
    }
  }

  /** A failed conditional write: VersionConflictError if the item exists, NotFoundError if not. */
  async #conditionError(error: unknown, tenantId: string, id: string): Promise<Error> {
    if (!isConditionFailure(error)) return storageError(error);
    // DynamoDB returns the current item with the failure; dynalite ignores the option, so read it instead.
    const exists = error.Item !== undefined || (await this.#getItem(tenantId, id));
    return exists ? new VersionConflictError() : new NotFoundError();
  }

  async putCheck(record: CheckRecord, expiresAt: Date): Promise<void> {
    // Tenant, credential, time and check id are the keys, so the entry does not hold them again (parseCheck reads
    // them back from the keys): 90 days of history are most of what the table stores.
    const { tenantId, credentialId, checkedAt, checkId, report, ...rest } = record;
    try {
      // The key is deterministic (checkedAt + checkId), so a retried write overwrites its first attempt.
      await this.#client.send(
        new PutCommand({
          TableName: this.#tableName,
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

  async listChecks(
    tenantId: string,
    credentialId: string,
    options: { limit: number; cursor?: string | null },
  ): Promise<Page<CheckRecord>> {
    assertLimit(options.limit);
    const pk = historyPk(tenantId, credentialId);
    const start = options.cursor ? decodeCursor(options.cursor, TableKey) : undefined;
    if (start && (start[PK] !== pk || !start[SK].startsWith(CHECK_PREFIX))) throw new InvalidCursorError();
    const { items, last } = await this.#queryPage(
      {
        TableName: this.#tableName,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        // TTL deletion lags by up to days, so expired entries are hidden here rather than trusted to be gone.
        FilterExpression: '#ttl > :now',
        ExpressionAttributeNames: { '#pk': PK, '#sk': SK, '#ttl': TTL },
        ExpressionAttributeValues: {
          ':pk': pk,
          ':prefix': CHECK_PREFIX,
          ':now': Math.floor(this.#clock.now().getTime() / 1000),
        },
        ScanIndexForward: false,
      },
      // Expired entries are rare (only within the TTL lag), so no larger batch than the page.
      options.limit,
      start,
    );
    return {
      items: items.map(parseCheck),
      nextCursor: last ? encodeCursor({ [PK]: last[PK], [SK]: last[SK] }) : null,
    };
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
    const { items, last } = await this.#queryPage(
      {
        TableName: this.#tableName,
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

  async #getItem(tenantId: string, id: string): Promise<Item | undefined> {
    try {
      const out = await this.#client.send(
        new GetCommand({
          TableName: this.#tableName,
          Key: { [PK]: tenantPk(tenantId), [SK]: credentialSk(id) },
          ConsistentRead: true,
        }),
      );
      return out.Item;
    } catch (error) {
      throw storageError(error);
    }
  }

  /**
   * Queries until `limit` items (plus one, to know whether more exist) or the end, so filtered pages are
   * full and the last page has no cursor. `last` is the page's last item when more follow: the next
   * cursor is built from its key rather than from LastEvaluatedKey, which may lie beyond it.
   */
  async #queryPage(
    input: QueryCommandInput,
    limit: number,
    start: Item | undefined,
    minBatch = 0,
  ): Promise<{ items: Item[]; last: Item | undefined }> {
    const collected: Item[] = [];
    let exclusiveStartKey = start;
    for (;;) {
      const need = limit + 1 - collected.length;
      let out: QueryCommandOutput;
      try {
        out = await this.#client.send(
          new QueryCommand({
            ...input,
            ...(exclusiveStartKey ? { ExclusiveStartKey: exclusiveStartKey } : {}),
            Limit: Math.max(need, minBatch),
          }),
        );
      } catch (error) {
        throw storageError(error);
      }
      collected.push(...(out.Items ?? []));
      if (collected.length > limit || !out.LastEvaluatedKey) break;
      exclusiveStartKey = out.LastEvaluatedKey;
    }
    const items = collected.slice(0, limit);
    return { items, last: collected.length > limit ? items.at(-1) : undefined };
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

/**
 * The credential an item of the table holds, or null for any other item (history, idempotency records,
 * configuration): for the change feed, which sees every item's changes.
 */
export function credentialOfItem(item: Item): Credential | null {
  return typeof item[SK] === 'string' && item[SK].startsWith(CREDENTIAL_PREFIX) && item.kind === 'credential'
    ? parseCredential(item)
    : null;
}

/** Domain fields with a packed report (./packed-report.ts) unpacked; a malformed one fails the schema instead. */
function unpacked(fields: Item, attribute: 'lastCheck' | 'report'): Item {
  try {
    return { ...fields, [attribute]: unpackReport(fields[attribute]) };
  } catch (error) {
    throw new StorageError('A stored report cannot be unpacked.', { cause: error });
  }
}

function parseCredential(item: Item): Credential {
  const parsed = Credential.safeParse({ [DUE.sortKey]: null, ...unpacked(domainFields(item), 'lastCheck') });
  if (!parsed.success)
    throw new StorageError('A stored credential item is malformed.', { cause: parsed.error });
  return parsed.data;
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

/** What a history entry's keys say: `T#<tenant>#C#<credential>` and `K#<checkedAt>#<checkId>`. */
function checkKeyFields(item: Item): Item {
  const pk = String(item[PK]).split('#');
  const sk = String(item[SK]).split('#');
  if (pk.length !== 4 || sk.length !== 3) return {};
  return {
    tenantId: fromKeyPart(pk[1] as string),
    credentialId: fromKeyPart(pk[3] as string),
    checkedAt: fromKeyPart(sk[1] as string),
    checkId: fromKeyPart(sk[2] as string),
  };
}

function parseCheck(item: Item): CheckRecord {
  // Entries written before the keys alone carried these fields hold them as attributes too; they agree.
  const fields = { ...checkKeyFields(item), ...domainFields(item) };
  const parsed = CheckRecord.safeParse(unpacked(fields, 'report'));
  if (!parsed.success) throw new StorageError('A stored check item is malformed.', { cause: parsed.error });
  return parsed.data;
}

function storageError(error: unknown): StorageError {
  return new StorageError('The credential store is unavailable.', { cause: error });
}
