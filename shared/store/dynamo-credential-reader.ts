import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
  type QueryCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { CheckRecord, Credential, type Page } from '../domain/credential.ts';
import { InvalidCursorError, StorageError } from '../domain/errors.ts';
import { TABLE_LAYOUT } from '../domain/table-layout.ts';
import * as z from '../domain/zod.ts';
import { unpackReport } from './packed-report.ts';
import type { Clock, CredentialReader, ListOptions } from './ports.ts';

export type Item = Record<string, unknown>;

export const { partitionKey: PK, sortKey: SK, timeToLiveAttribute: TTL } = TABLE_LAYOUT;
export const DUE = TABLE_LAYOUT.dueIndex;
export const CREDENTIAL_PREFIX = TABLE_LAYOUT.credentialSortKeyPrefix;
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
export function keyPart(value: string): string {
  return value.replaceAll('%', '%25').replaceAll('#', '%23');
}

/** The value `keyPart` escaped (it leaves no `#` and no `%` but in `%23` and `%25`). */
function fromKeyPart(part: string): string {
  return part.replaceAll('%23', '#').replaceAll('%25', '%');
}

export function tenantPk(tenantId: string): string {
  return `T#${keyPart(tenantId)}`;
}

export function credentialSk(id: string): string {
  return `${CREDENTIAL_PREFIX}${keyPart(id)}`;
}

export function historyPk(tenantId: string, credentialId: string): string {
  return `${tenantPk(tenantId)}#C#${keyPart(credentialId)}`;
}

export function checkSk(checkedAt: string, checkId: string): string {
  return `${CHECK_PREFIX}${keyPart(checkedAt)}#${keyPart(checkId)}`;
}

export const TableKey = z.strictObject({ [PK]: z.string(), [SK]: z.string() });

export function encodeCursor(key: Item): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

export function decodeCursor<S extends z.ZodMiniType<Item>>(cursor: string, schema: S): z.infer<S> {
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw new InvalidCursorError();
  }
  try {
    return schema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw new InvalidCursorError();
  }
}

function domainFields(item: Item): Item {
  const fields: Item = { ...item };
  for (const attribute of STORAGE_ATTRIBUTES) delete fields[attribute];
  return fields;
}

export function assertLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError('limit must be a positive integer');
}

const systemClock: Clock = { now: () => new Date() };

/**
 * The reads of the credentials table (layout in TABLE_LAYOUT): one credential, a tenant's credentials, a
 * credential's check history. All a read route needs, apart from the writes (./dynamo-credential-repository.ts),
 * so its bundle carries no write path.
 */
export class DynamoCredentialReader implements CredentialReader {
  protected readonly client: DynamoDBDocumentClient;
  protected readonly tableName: string;
  protected readonly clock: Clock;

  constructor(options: { client: DynamoDBDocumentClient; tableName: string; clock?: Clock }) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.clock = options.clock ?? systemClock;
  }

  async get(tenantId: string, id: string): Promise<Credential | null> {
    const item = await this.getItem(tenantId, id);
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
    const { items, last } = await this.queryPage(
      {
        TableName: this.tableName,
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

  async listChecks(
    tenantId: string,
    credentialId: string,
    options: { limit: number; cursor?: string | null },
  ): Promise<Page<CheckRecord>> {
    assertLimit(options.limit);
    const pk = historyPk(tenantId, credentialId);
    const start = options.cursor ? decodeCursor(options.cursor, TableKey) : undefined;
    if (start && (start[PK] !== pk || !start[SK].startsWith(CHECK_PREFIX))) throw new InvalidCursorError();
    const { items, last } = await this.queryPage(
      {
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        // TTL deletion lags by up to days, so expired entries are hidden here rather than trusted to be gone.
        FilterExpression: '#ttl > :now',
        ExpressionAttributeNames: { '#pk': PK, '#sk': SK, '#ttl': TTL },
        ExpressionAttributeValues: {
          ':pk': pk,
          ':prefix': CHECK_PREFIX,
          ':now': Math.floor(this.clock.now().getTime() / 1000),
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

  protected async getItem(tenantId: string, id: string): Promise<Item | undefined> {
    try {
      const out = await this.client.send(
        new GetCommand({
          TableName: this.tableName,
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
  protected async queryPage(
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
        out = await this.client.send(
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

/**
 * The credential an item of the table holds, or null for any other item (history, idempotency records,
 * configuration): for the change feed, which sees every item's changes.
 */
export function credentialOfItem(item: Item): Credential | null {
  const sk = item[SK];
  return typeof sk === 'string' && sk.startsWith(CREDENTIAL_PREFIX) && item.kind === 'credential'
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

export function parseCredential(item: Item): Credential {
  const parsed = Credential.safeParse({ [DUE.sortKey]: null, ...unpacked(domainFields(item), 'lastCheck') });
  if (!parsed.success)
    throw new StorageError('A stored credential item is malformed.', { cause: parsed.error });
  return parsed.data;
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

export function storageError(error: unknown): StorageError {
  return new StorageError('The credential store is unavailable.', { cause: error });
}
