import { randomBytes } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { StorageError } from '../domain/errors.ts';
import { BRANCH_KEY_CONTEXT_KEY, branchKeyContext } from '../domain/secret-context.ts';
import { TABLE_LAYOUT } from '../domain/table-layout.ts';
import { DataKeyRefusedError, type DataKeyService, type EncryptionContext } from './data-keys.ts';
import type { Clock } from './ports.ts';

/** A branch key in the clear, and its id (what a sealed version names). */
export interface BranchKey {
  id: string;
  key: Uint8Array;
}

/** How long a decrypted branch key is used before KMS is asked again: revoking the KMS key takes effect within it. */
export const BRANCH_KEY_CACHE_MS = 5 * 60_000;
/** A new branch key is made once the newest is this old, so no key seals new versions for ever. */
export const BRANCH_KEY_ROTATE_AFTER_MS = 30 * 86_400_000;

const PARTITION = `${TABLE_LAYOUT.secretPartitionPrefix}KEYS`;
const SORT_PREFIX = 'B#';

/**
 * Branch keys of the envelope secret store (./envelope-secret-store.ts), after the AWS Encryption SDK's hierarchical
 * keyring: a few 256-bit keys, each a KMS data key kept encrypted in the table, from which each secret version's own
 * key is derived (HKDF over a random salt, the secret's name and the version id). A container decrypts a branch key
 * once per BRANCH_KEY_CACHE_MS instead of calling KMS for every secret it reads: a million credentials checked every
 * 6 hours would otherwise be ~4 million KMS requests a day (README "Scale").
 *
 * Items: partition `SECRET#KEYS` (inside the secret partitions IAM grants, outside the shards the store lists), sort
 * key `B#<id>`, the id starting with its creation time so the newest sorts last. Nothing deletes them: a branch key
 * lives as long as any version sealed under it.
 */
export class BranchKeys {
  readonly #opened = new Map<string, { key: Uint8Array; until: number }>();
  #active: { key: BranchKey; until: number } | undefined;
  #creating: Promise<BranchKey> | undefined;

  constructor(
    private readonly options: {
      client: DynamoDBDocumentClient;
      tableName: string;
      keys: DataKeyService;
      /** SECRET_PREFIX: in each branch key's encryption context. */
      secretPrefix: string;
      clock: Clock;
      cacheMs?: number;
      rotateAfterMs?: number;
    },
  ) {}

  /** The branch key to seal new versions under: the newest, or a new one when there is none or it is too old. */
  async active(): Promise<BranchKey> {
    const now = this.options.clock.now().getTime();
    if (this.#active && this.#active.until > now) return this.#active.key;
    const newest = await this.#newest();
    const rotateAfter = this.options.rotateAfterMs ?? BRANCH_KEY_ROTATE_AFTER_MS;
    let key: BranchKey;
    if (newest && Date.parse(newest.createdAt) + rotateAfter > now) {
      try {
        // Opened already (this container read a version sealed under it): no second KMS call.
        key = {
          id: newest.id,
          key: this.#fresh(newest.id) ?? (await this.#decrypt(newest.id, newest.encrypted)),
        };
      } catch (error) {
        // Not this deployment's key (a table restored elsewhere, KMS_KEY_ID changed): nothing new is sealed until
        // an operator sorts it out, rather than quietly starting a second set of branch keys.
        if (error instanceof DataKeyRefusedError) {
          throw new StorageError('The newest branch key does not decrypt under this KMS key.', {
            cause: error,
          });
        }
        throw error;
      }
    } else key = await this.#create();
    this.#active = { key, until: now + this.#cacheMs() };
    return key;
  }

  /**
   * The branch key `id` in the clear, to open a version sealed under it: from the cache, or read and decrypted by
   * KMS. DataKeyRefusedError when there is no such key or KMS refuses it (altered, or another deployment's).
   */
  async open(id: string): Promise<Uint8Array> {
    const cached = this.#fresh(id);
    if (cached) return cached;
    const output = await this.#send(() =>
      this.options.client.send(
        new GetCommand({
          TableName: this.options.tableName,
          Key: { [TABLE_LAYOUT.partitionKey]: PARTITION, [TABLE_LAYOUT.sortKey]: `${SORT_PREFIX}${id}` },
        }),
      ),
    );
    const encrypted = output.Item?.key;
    if (!(encrypted instanceof Uint8Array)) throw new DataKeyRefusedError('No such branch key.');
    return this.#decrypt(id, encrypted);
  }

  /** The branch key `id` if this container decrypted it less than the cache period ago. */
  #fresh(id: string): Uint8Array | undefined {
    const cached = this.#opened.get(id);
    return cached && cached.until > this.options.clock.now().getTime() ? cached.key : undefined;
  }

  async #decrypt(id: string, encrypted: Uint8Array): Promise<Uint8Array> {
    const key = await this.options.keys.decryptDataKey(encrypted, this.#contextOf(id));
    this.#remember(id, key);
    return key;
  }

  #remember(id: string, key: Uint8Array): void {
    const now = this.options.clock.now().getTime();
    // Expired entries go as new ones come: a container holds the few keys it met in the last few minutes.
    for (const [known, entry] of this.#opened) if (entry.until <= now) this.#opened.delete(known);
    this.#opened.set(id, { key, until: now + this.#cacheMs() });
  }

  /** A new branch key, stored before use; concurrent callers in one container share one. */
  #create(): Promise<BranchKey> {
    this.#creating ??= (async () => {
      try {
        const id = `${this.options.clock.now().toISOString()}-${randomBytes(8).toString('hex')}`;
        const dataKey = await this.options.keys.generateDataKey(this.#contextOf(id));
        await this.#send(() =>
          this.options.client.send(
            new PutCommand({
              TableName: this.options.tableName,
              Item: {
                [TABLE_LAYOUT.partitionKey]: PARTITION,
                [TABLE_LAYOUT.sortKey]: `${SORT_PREFIX}${id}`,
                kind: 'branch-key',
                createdAt: this.options.clock.now().toISOString(),
                key: dataKey.encrypted,
              },
              ConditionExpression: 'attribute_not_exists(#pk)',
              ExpressionAttributeNames: { '#pk': TABLE_LAYOUT.partitionKey },
            }),
          ),
        );
        this.#remember(id, dataKey.plaintext);
        return { id, key: dataKey.plaintext };
      } finally {
        this.#creating = undefined;
      }
    })();
    return this.#creating;
  }

  async #newest(): Promise<{ id: string; createdAt: string; encrypted: Uint8Array } | null> {
    const output = await this.#send(() =>
      this.options.client.send(
        new QueryCommand({
          TableName: this.options.tableName,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
          ExpressionAttributeNames: { '#pk': TABLE_LAYOUT.partitionKey, '#sk': TABLE_LAYOUT.sortKey },
          ExpressionAttributeValues: { ':pk': PARTITION, ':prefix': SORT_PREFIX },
          ScanIndexForward: false,
          Limit: 1,
          ConsistentRead: true,
        }),
      ),
    );
    const item = output.Items?.[0];
    if (!item) return null;
    const sk = item[TABLE_LAYOUT.sortKey];
    if (typeof sk !== 'string' || typeof item.createdAt !== 'string' || !(item.key instanceof Uint8Array)) {
      throw new StorageError('A stored branch key item is malformed.');
    }
    return { id: sk.slice(SORT_PREFIX.length), createdAt: item.createdAt, encrypted: item.key };
  }

  #contextOf(id: string): EncryptionContext {
    return { [BRANCH_KEY_CONTEXT_KEY]: branchKeyContext(this.options.secretPrefix, id) };
  }

  #cacheMs(): number {
    return this.options.cacheMs ?? BRANCH_KEY_CACHE_MS;
  }

  async #send<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw new StorageError('The secret store is unavailable.', { cause: error });
    }
  }
}
