import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Page } from '../domain/credential.ts';
import { InvalidCursorError, SecretUnreadableError, StorageError } from '../domain/errors.ts';
import { SECRET_CONTEXT_KEY } from '../domain/secret-context.ts';
import { TABLE_LAYOUT } from '../domain/table-layout.ts';
import * as z from '../domain/zod.ts';
import { BranchKeys } from './branch-keys.ts';
import { DataKeyRefusedError, type DataKeyService, type EncryptionContext } from './data-keys.ts';
import {
  checkRecoveryWindow,
  checkRequestToken,
  StagedSecretStore,
  StaleSecretError,
  type StoredSecret,
} from './memory-secret-store.ts';
import type { Clock, SecretSummary, SecretTags, SecretValue } from './ports.ts';

const SORT_PREFIX = 'S#';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const SALT_BYTES = 32;

/**
 * One version as stored: its value encrypted under a key of its own, and how to get that key back. Versions
 * sealed now name a branch key and a salt (the key is derived from them, ./branch-keys.ts); versions sealed before
 * branch keys carry their own data key, encrypted by KMS, and still open.
 */
export interface SealedVersion {
  /** Before branch keys: the data key, encrypted under the KMS key with the secret's name as encryption context. */
  key?: Uint8Array;
  /** The branch key the version's key is derived from, and the derivation's random salt. */
  branch?: string;
  salt?: Uint8Array;
  iv: Uint8Array;
  ciphertext: Uint8Array;
  tag: Uint8Array;
}

// Built on first use, not at import: module-level zod calls would stay in the bundles of a deployment that uses
// the other store (the stack's bundling drops this module only when nothing of it runs at import).
let schemas: ReturnType<typeof buildSchemas> | undefined;
function buildSchemas() {
  const Bytes = z.custom<Uint8Array>((value) => value instanceof Uint8Array);
  const SecretItem = z.object({
    name: z.string(),
    tags: z.object({ tenantId: z.string(), credentialId: z.string(), connector: z.string() }),
    versions: z.array(
      z.object({
        id: z.string(),
        stages: z.array(z.string()),
        createdAt: z.string(),
        key: z.optional(Bytes),
        branch: z.optional(z.string()),
        salt: z.optional(Bytes),
        iv: Bytes,
        ciphertext: Bytes,
        tag: Bytes,
      }),
    ),
    retiredVersionIds: z.optional(z.array(z.string())),
    deletion: z.optional(z.object({ scheduledAt: z.string(), recoverUntil: z.string() })),
    revision: z.int(),
  });
  const ListedItem = z.object({
    [TABLE_LAYOUT.sortKey]: z.string(),
    name: z.string(),
    createdAt: z.string(),
    deletion: z.optional(z.object({ recoverUntil: z.string() })),
  });
  const Cursor = z.strictObject({ shard: z.int(), after: z.nullable(z.string()) });
  const PlainValue = z.record(z.string(), z.string());
  return { SecretItem, ListedItem, Cursor, PlainValue };
}
const schema = () => {
  schemas ??= buildSchemas();
  return schemas;
};

/** The shard of a secret's name: FNV-1a, stable across processes and adapters. */
export function secretShardOf(name: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(name)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % TABLE_LAYOUT.secretShards;
}

/** The partition key of a shard, `SECRET#07`. */
function shardKey(shard: number): string {
  return `${TABLE_LAYOUT.secretPartitionPrefix}${String(shard).padStart(2, '0')}`;
}

/** The table key of a secret's item. */
export function secretItemKey(name: string): {
  [TABLE_LAYOUT.partitionKey]: string;
  [TABLE_LAYOUT.sortKey]: string;
} {
  return {
    [TABLE_LAYOUT.partitionKey]: shardKey(secretShardOf(name)),
    [TABLE_LAYOUT.sortKey]: `${SORT_PREFIX}${name}`,
  };
}

/** The encryption context of the data keys of `name`'s versions sealed before branch keys. */
function contextOf(name: string): EncryptionContext {
  return { [SECRET_CONTEXT_KEY]: name };
}

/** The authenticated data of a version's ciphertext: its secret and its version, so neither can be swapped. */
function aadOf(name: string, versionId: string): Buffer {
  return Buffer.from(JSON.stringify(['credval-secret-v1', name, versionId]), 'utf8');
}

/**
 * A version's own key, derived from its branch key: HKDF-SHA-256 over a random salt, with the secret's name and the
 * version id as context, so a version moved to another secret (or renamed) derives another key and does not open.
 */
function derivedKey(branchKey: Uint8Array, salt: Uint8Array, name: string, versionId: string): Uint8Array {
  const info = Buffer.from(JSON.stringify(['credval-secret-key-v1', name, versionId]), 'utf8');
  return new Uint8Array(hkdfSync('sha256', branchKey, salt, info, 32));
}

function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

function storageError(error: unknown): StorageError {
  return new StorageError('The secret store is unavailable.', { cause: error });
}

/**
 * SecretStore `SECRET_STORE=envelope` (README "Security model"): each version of a secret is encrypted with
 * AES-256-GCM under a key of its own, derived from the newest branch key (./branch-keys.ts, a KMS data key the
 * container decrypts once per few minutes) with a random salt, the secret's name and the version id; the
 * ciphertext's authenticated data is the name and the version id. One DynamoDB item per secret keeps the versions
 * (ciphertext, salt and branch key id; no plaintext key is ever stored), in the credentials table under its own
 * partitions (TABLE_LAYOUT.secretPartitionPrefix). A ciphertext copied to another secret's item does not decrypt
 * there: SecretUnreadableError, never a value. Versions sealed before branch keys hold a KMS data key of their own,
 * bound to the secret's name, and still open.
 *
 * The staging semantics are StagedSecretStore's (Secrets Manager's). Every write is conditional on the revision it
 * read, so two Lambda containers changing one secret at once are serialised as one process's writes would be.
 * A deletion keeps the item, marked, with the table's TABLE_LAYOUT.timeToLiveAttribute attribute set to the end of its recovery window.
 */
export class EnvelopeSecretStore extends StagedSecretStore<SealedVersion> {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly keys: DataKeyService;
  private readonly branchKeys: BranchKeys;

  constructor(options: {
    client: DynamoDBDocumentClient;
    tableName: string;
    keys: DataKeyService;
    /** SECRET_PREFIX: the branch keys' encryption context names it, for IAM to match. */
    secretPrefix: string;
    clock?: Clock;
    /** How long a decrypted branch key is used (BRANCH_KEY_CACHE_MS), and when a new one is made. */
    branchKeyCacheMs?: number;
    branchKeyRotateAfterMs?: number;
  }) {
    // A lock scope of its own: two stores in one process behave as two Lambda containers do (conditional writes).
    super(undefined, options.clock);
    this.client = options.client;
    this.tableName = options.tableName;
    this.keys = options.keys;
    this.branchKeys = new BranchKeys({
      client: options.client,
      tableName: options.tableName,
      keys: options.keys,
      secretPrefix: options.secretPrefix,
      clock: this.clock,
      ...(options.branchKeyCacheMs === undefined ? {} : { cacheMs: options.branchKeyCacheMs }),
      ...(options.branchKeyRotateAfterMs === undefined
        ? {}
        : { rotateAfterMs: options.branchKeyRotateAfterMs }),
    });
  }

  /** One write when the name is new (the common case); the general path, which reads first, otherwise. */
  override async create(
    name: string,
    value: SecretValue,
    options: { requestToken: string; tags: SecretTags },
  ): Promise<void> {
    checkRequestToken(options.requestToken);
    const fresh: StoredSecret<SealedVersion> = {
      name,
      tags: { ...options.tags },
      versions: [await this.version(name, options.requestToken, 'AWSCURRENT', value)],
    };
    try {
      await this.save(fresh);
      return;
    } catch (error) {
      if (!(error instanceof StaleSecretError)) throw error;
    }
    // The name exists: a retry of this create, another secret, or one past its recovery window.
    await super.create(name, value, options);
  }

  /** One conditional update when the secret is live (the common case); the general path otherwise. */
  override async scheduleDeletion(name: string, recoveryWindowDays: number): Promise<void> {
    checkRecoveryWindow(recoveryWindowDays);
    const now = this.clock.now();
    const recoverUntil = new Date(now.getTime() + recoveryWindowDays * 86_400_000);
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: secretItemKey(name),
          UpdateExpression: 'SET #deletion = :deletion, #ttl = :ttl ADD #revision :one',
          ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(#deletion)',
          ExpressionAttributeNames: {
            '#pk': TABLE_LAYOUT.partitionKey,
            '#deletion': 'deletion',
            '#ttl': TABLE_LAYOUT.timeToLiveAttribute,
            '#revision': 'revision',
          },
          ExpressionAttributeValues: {
            ':deletion': { scheduledAt: now.toISOString(), recoverUntil: recoverUntil.toISOString() },
            ':ttl': Math.ceil(recoverUntil.getTime() / 1000),
            ':one': 1,
          },
        }),
      );
      return;
    } catch (error) {
      if (!isConditionFailure(error)) throw storageError(error);
    }
    // Missing, already scheduled, or past its window: the general path tells them apart.
    await super.scheduleDeletion(name, recoveryWindowDays);
  }

  /** The secrets under `prefix`, shard by shard, read from the items' keys and dates (never a value). */
  override async list(
    prefix: string,
    options: { limit: number; cursor?: string | null },
  ): Promise<Page<SecretSummary>> {
    if (!Number.isInteger(options.limit) || options.limit < 1)
      throw new RangeError('limit must be a positive integer');
    let { shard, after } = options.cursor ? decodeCursor(options.cursor) : { shard: 0, after: null };
    const items: SecretSummary[] = [];
    const now = this.clock.now().getTime();
    while (shard < TABLE_LAYOUT.secretShards) {
      const output = await this.send(() =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
            ProjectionExpression: '#sk, #name, #createdAt, #deletion',
            ExpressionAttributeNames: {
              '#pk': TABLE_LAYOUT.partitionKey,
              '#sk': TABLE_LAYOUT.sortKey,
              '#name': 'name',
              '#createdAt': 'createdAt',
              '#deletion': 'deletion',
            },
            ExpressionAttributeValues: { ':pk': shardKey(shard), ':prefix': `${SORT_PREFIX}${prefix}` },
            ConsistentRead: true,
            Limit: options.limit - items.length,
            ...(after
              ? {
                  ExclusiveStartKey: {
                    [TABLE_LAYOUT.partitionKey]: shardKey(shard),
                    [TABLE_LAYOUT.sortKey]: after,
                  },
                }
              : {}),
          }),
        ),
      );
      for (const raw of output.Items ?? []) {
        const item = schema().ListedItem.safeParse(raw);
        if (!item.success) throw new StorageError('A stored secret item is malformed.');
        after = item.data[TABLE_LAYOUT.sortKey];
        // Past its recovery window: gone, whether or not the TABLE_LAYOUT.timeToLiveAttribute has removed the item yet.
        if (item.data.deletion && Date.parse(item.data.deletion.recoverUntil) <= now) continue;
        items.push({
          name: item.data.name,
          createdAt: item.data.createdAt,
          deletionScheduled: item.data.deletion !== undefined,
        });
      }
      if (!output.LastEvaluatedKey) {
        shard += 1;
        after = null;
      }
      if (items.length >= options.limit) break;
    }
    const more = shard < TABLE_LAYOUT.secretShards;
    return { items, nextCursor: more ? encodeCursor({ shard, after }) : null };
  }

  protected async names(): Promise<string[]> {
    const names: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await this.list('', { limit: 100, cursor });
      names.push(...page.items.map((item) => item.name));
      cursor = page.nextCursor;
    } while (cursor);
    return names;
  }

  protected async load(name: string): Promise<StoredSecret<SealedVersion> | null> {
    const output = await this.send(() =>
      this.client.send(
        new GetCommand({ TableName: this.tableName, Key: secretItemKey(name), ConsistentRead: true }),
      ),
    );
    if (!output.Item) return null;
    const parsed = schema().SecretItem.safeParse(output.Item);
    if (!parsed.success || parsed.data.name !== name) {
      throw new StorageError('A stored secret item is malformed.');
    }
    const item = parsed.data;
    return {
      name: item.name,
      tags: item.tags,
      versions: item.versions.map(({ id, stages, createdAt, key, branch, salt, iv, ciphertext, tag }) => ({
        id,
        stages,
        createdAt,
        payload: {
          ...(key ? { key } : {}),
          ...(branch ? { branch } : {}),
          ...(salt ? { salt } : {}),
          iv,
          ciphertext,
          tag,
        },
      })),
      ...(item.retiredVersionIds ? { retiredVersionIds: item.retiredVersionIds } : {}),
      ...(item.deletion ? { deletion: item.deletion } : {}),
      revision: item.revision,
    };
  }

  protected async save(secret: StoredSecret<SealedVersion>): Promise<void> {
    const createdAt = secret.versions.map((v) => v.createdAt).sort()[0] ?? this.clock.now().toISOString();
    const item: Record<string, unknown> = {
      ...secretItemKey(secret.name),
      kind: 'secret',
      name: secret.name,
      createdAt,
      tags: secret.tags,
      versions: secret.versions.map(({ id, stages, createdAt: at, payload }) => ({
        id,
        stages,
        createdAt: at,
        ...payload,
      })),
      ...(secret.retiredVersionIds ? { retiredVersionIds: secret.retiredVersionIds } : {}),
      ...(secret.deletion
        ? {
            deletion: secret.deletion,
            [TABLE_LAYOUT.timeToLiveAttribute]: Math.ceil(Date.parse(secret.deletion.recoverUntil) / 1000),
          }
        : {}),
      revision: (secret.revision ?? 0) + 1,
    };
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ...(secret.revision === undefined
            ? {
                ConditionExpression: 'attribute_not_exists(#pk)',
                ExpressionAttributeNames: { '#pk': TABLE_LAYOUT.partitionKey },
              }
            : {
                ConditionExpression: '#revision = :revision',
                ExpressionAttributeNames: { '#revision': 'revision' },
                ExpressionAttributeValues: { ':revision': secret.revision },
              }),
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw new StaleSecretError();
      throw storageError(error);
    }
  }

  protected async remove(name: string): Promise<void> {
    await this.send(() =>
      this.client.send(new DeleteCommand({ TableName: this.tableName, Key: secretItemKey(name) })),
    );
  }

  protected async seal(name: string, value: SecretValue, versionId: string): Promise<SealedVersion> {
    const branch = await this.branchKeys.active();
    const salt = randomBytes(SALT_BYTES);
    const key = derivedKey(branch.key, salt, name, versionId);
    try {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(aadOf(name, versionId));
      const ciphertext = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
      return { branch: branch.id, salt, iv, ciphertext, tag: cipher.getAuthTag() };
    } finally {
      key.fill(0);
    }
  }

  protected async open(name: string, sealed: SealedVersion, versionId: string): Promise<SecretValue> {
    const key = await this.keyOf(name, sealed, versionId);
    let plaintext: string;
    try {
      if (sealed.iv.length !== IV_BYTES || sealed.tag.length !== TAG_BYTES) throw new Error('bad lengths');
      // authTagLength pins the tag to 16 bytes: GCM would otherwise accept a truncated tag.
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(aadOf(name, versionId));
      decipher.setAuthTag(sealed.tag);
      plaintext = Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretUnreadableError();
    } finally {
      key.fill(0);
    }
    try {
      return schema().PlainValue.parse(JSON.parse(plaintext));
    } catch {
      // Authenticated, so written by this store: no cause, as JSON.parse would quote the plaintext.
      throw new SecretUnreadableError();
    }
  }

  /** The key a version was sealed with (a copy the caller may wipe): derived from its branch key, or its own. */
  private async keyOf(name: string, sealed: SealedVersion, versionId: string): Promise<Uint8Array> {
    try {
      if (sealed.branch !== undefined && sealed.salt?.length === SALT_BYTES && sealed.key === undefined) {
        return derivedKey(await this.branchKeys.open(sealed.branch), sealed.salt, name, versionId);
      }
      if (sealed.key !== undefined && sealed.branch === undefined) {
        return await this.keys.decryptDataKey(sealed.key, contextOf(name));
      }
    } catch (error) {
      if (error instanceof DataKeyRefusedError) throw new SecretUnreadableError();
      throw error;
    }
    // Neither shape, or both: not something this store wrote.
    throw new SecretUnreadableError();
  }

  /** A DynamoDB call; its failure is a StorageError. */
  private async send<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw storageError(error);
    }
  }
}

function encodeCursor(cursor: { shard: number; after: string | null }): string {
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): { shard: number; after: string | null } {
  try {
    const parsed = schema().Cursor.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (parsed.shard < 0 || parsed.shard >= TABLE_LAYOUT.secretShards) throw new Error('shard');
    return parsed;
  } catch {
    throw new InvalidCursorError();
  }
}
