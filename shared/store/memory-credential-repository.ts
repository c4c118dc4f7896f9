import type { CheckRecord, Credential, Page } from '../domain/credential.ts';
import { ConflictError, InvalidCursorError, NotFoundError, VersionConflictError } from '../domain/errors.ts';
import { TABLE_LAYOUT } from '../domain/table-layout.ts';
import * as z from '../domain/zod.ts';
import {
  type Clock,
  type CredentialRepository,
  type DueCredential,
  dueShardOf,
  type ListOptions,
} from './ports.ts';

interface StoredCheck {
  record: CheckRecord;
  expiresAtSeconds: number;
}

const ListCursor = z.strictObject({ t: z.string(), id: z.string() });
const ChecksCursor = z.strictObject({ t: z.string(), c: z.string(), at: z.string(), check: z.string() });
const DueCursor = z.strictObject({ s: z.number(), at: z.string(), t: z.string(), id: z.string() });

function encodeCursor(value: object): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function decodeCursor<S extends z.ZodMiniType>(cursor: string, schema: S): z.infer<S> {
  try {
    return schema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw new InvalidCursorError();
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function assertLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError('limit must be a positive integer');
}

/** The first page of `sorted` (the items after the cursor), with a cursor only when more follow. */
function page<T>(sorted: T[], limit: number, toCursor: (item: T) => object): Page<T> {
  const items = sorted.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: sorted.length > limit && last ? encodeCursor(toCursor(last)) : null };
}

const systemClock: Clock = { now: () => new Date() };

/**
 * CredentialRepository in memory, for tests and the fake-backed local server: the same contract as the
 * DynamoDB adapter (ordering, paging, cursors bound to the listing, errors), with deep copies in and out.
 */
export class MemoryCredentialRepository implements CredentialRepository {
  /** tenant → id → credential */
  readonly #credentials = new Map<string, Map<string, Credential>>();
  /** tenant → credential id → `checkedAt\0checkId` → check */
  readonly #checks = new Map<string, Map<string, Map<string, StoredCheck>>>();
  readonly #clock: Clock;

  constructor(options: { clock?: Clock } = {}) {
    this.#clock = options.clock ?? systemClock;
  }

  async create(credential: Credential): Promise<void> {
    const tenant = this.#tenant(credential.tenantId);
    if (tenant.has(credential.id)) throw new ConflictError('A credential with this id already exists.');
    tenant.set(credential.id, structuredClone(credential));
  }

  async get(tenantId: string, id: string): Promise<Credential | null> {
    const stored = this.#credentials.get(tenantId)?.get(id);
    return stored ? structuredClone(stored) : null;
  }

  async list(tenantId: string, options: ListOptions): Promise<Page<Credential>> {
    assertLimit(options.limit);
    const after = options.cursor ? decodeCursor(options.cursor, ListCursor) : undefined;
    if (after && after.t !== tenantId) throw new InvalidCursorError();
    const sorted = [...(this.#credentials.get(tenantId)?.values() ?? [])]
      .filter(
        (credential) =>
          (after === undefined || compare(credential.id, after.id) > 0) &&
          (options.connector === undefined || credential.connector === options.connector) &&
          (options.status === undefined || credential.status === options.status),
      )
      .sort((a, b) => compare(a.id, b.id));
    const result = page(sorted, options.limit, (last) => ({ t: tenantId, id: last.id }));
    return { items: result.items.map((item) => structuredClone(item)), nextCursor: result.nextCursor };
  }

  async replace(credential: Credential, expectedVersion: number): Promise<Credential> {
    const tenant = this.#credentials.get(credential.tenantId);
    const stored = tenant?.get(credential.id);
    if (!tenant || !stored) throw new NotFoundError();
    if (stored.version !== expectedVersion) throw new VersionConflictError();
    tenant.set(credential.id, structuredClone(credential));
    return stored;
  }

  async lease(due: DueCredential, leasedUntil: Date): Promise<number> {
    const stored = this.#credentials.get(due.tenantId)?.get(due.id);
    if (!stored) throw new NotFoundError();
    if (stored.nextCheckAt !== due.nextCheckAt) throw new VersionConflictError();
    stored.version += 1;
    stored.nextCheckAt = leasedUntil.toISOString();
    return stored.version;
  }

  async delete(tenantId: string, id: string, expectedVersion?: number): Promise<Credential> {
    const tenant = this.#credentials.get(tenantId);
    const stored = tenant?.get(id);
    if (!tenant || !stored) throw new NotFoundError();
    if (expectedVersion !== undefined && stored.version !== expectedVersion) throw new VersionConflictError();
    // History stays, as in DynamoDB, until it expires.
    tenant.delete(id);
    return stored;
  }

  async putCheck(record: CheckRecord, expiresAt: Date): Promise<void> {
    let byTenant = this.#checks.get(record.tenantId);
    if (!byTenant) {
      byTenant = new Map();
      this.#checks.set(record.tenantId, byTenant);
    }
    let byCredential = byTenant.get(record.credentialId);
    if (!byCredential) {
      byCredential = new Map();
      byTenant.set(record.credentialId, byCredential);
    }
    byCredential.set(`${record.checkedAt}\u0000${record.checkId}`, {
      record: structuredClone(record),
      expiresAtSeconds: Math.floor(expiresAt.getTime() / 1000),
    });
  }

  async listChecks(
    tenantId: string,
    credentialId: string,
    options: { limit: number; cursor?: string | null },
  ): Promise<Page<CheckRecord>> {
    assertLimit(options.limit);
    const after = options.cursor ? decodeCursor(options.cursor, ChecksCursor) : undefined;
    if (after && (after.t !== tenantId || after.c !== credentialId)) throw new InvalidCursorError();
    const now = Math.floor(this.#clock.now().getTime() / 1000);
    // Newest first: by checkedAt, then checkId, both descending (the DynamoDB sort key's order).
    type Position = Pick<CheckRecord, 'checkedAt' | 'checkId'>;
    const newestFirst = (a: Position, b: Position) =>
      compare(b.checkedAt, a.checkedAt) || compare(b.checkId, a.checkId);
    const position = after && { checkedAt: after.at, checkId: after.check };
    const sorted = [...(this.#checks.get(tenantId)?.get(credentialId)?.values() ?? [])]
      .filter((stored) => stored.expiresAtSeconds > now)
      .map((stored) => stored.record)
      .filter((record) => position === undefined || newestFirst(record, position) > 0)
      .sort(newestFirst);
    const result = page(sorted, options.limit, (last) => ({
      t: tenantId,
      c: credentialId,
      at: last.checkedAt,
      check: last.checkId,
    }));
    return { items: result.items.map((item) => structuredClone(item)), nextCursor: result.nextCursor };
  }

  async listDue(
    shard: number,
    dueBefore: Date,
    options: { limit: number; cursor?: string | null },
  ): Promise<Page<DueCredential>> {
    assertLimit(options.limit);
    if (!Number.isInteger(shard) || shard < 0 || shard >= TABLE_LAYOUT.dueShards) {
      throw new RangeError(`shard must be an integer from 0 to ${TABLE_LAYOUT.dueShards - 1}`);
    }
    const after = options.cursor ? decodeCursor(options.cursor, DueCursor) : undefined;
    if (after && after.s !== shard) throw new InvalidCursorError();
    const before = dueBefore.toISOString();
    type Position = Pick<Credential, 'nextCheckAt' | 'tenantId' | 'id'>;
    const oldestFirst = (a: Position, b: Position) =>
      compare(a.nextCheckAt ?? '', b.nextCheckAt ?? '') ||
      compare(a.tenantId, b.tenantId) ||
      compare(a.id, b.id);
    const position = after && { nextCheckAt: after.at, tenantId: after.t, id: after.id };
    const sorted = [...this.#credentials.values()]
      .flatMap((tenant) => [...tenant.values()])
      .filter(
        (credential) =>
          credential.nextCheckAt !== null &&
          credential.nextCheckAt <= before &&
          dueShardOf(credential.tenantId, credential.id) === shard &&
          (position === undefined || oldestFirst(credential, position) > 0),
      )
      .sort(oldestFirst);
    const result = page(sorted, options.limit, (last) => ({
      s: shard,
      at: last.nextCheckAt,
      t: last.tenantId,
      id: last.id,
    }));
    return {
      items: result.items.map(({ tenantId, id, nextCheckAt }) => ({
        tenantId,
        id,
        nextCheckAt: nextCheckAt as string,
      })),
      nextCursor: result.nextCursor,
    };
  }

  #tenant(tenantId: string): Map<string, Credential> {
    let tenant = this.#credentials.get(tenantId);
    if (!tenant) {
      tenant = new Map();
      this.#credentials.set(tenantId, tenant);
    }
    return tenant;
  }
}
