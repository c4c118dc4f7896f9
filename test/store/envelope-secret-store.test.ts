import { createCipheriv, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { DecryptCommand, GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, SecretUnreadableError, StorageError } from '../../shared/domain/errors.ts';
import { BRANCH_KEY_CACHE_MS, BRANCH_KEY_ROTATE_AFTER_MS } from '../../shared/store/branch-keys.ts';
import { EnvelopeSecretStore, secretItemKey } from '../../shared/store/envelope-secret-store.ts';
import { KmsDataKeys } from '../../shared/store/kms-data-keys.ts';
import { LocalDataKeys } from '../../shared/store/local-data-keys.ts';
import {
  createDocumentClient,
  createDynamoClient,
  ensureCredentialsTable,
  type LocalDynamo,
  startLocalDynamo,
} from '../../shared/store/local-dynamo.ts';
import type { Clock } from '../../shared/store/ports.ts';
import { FAKE_KMS_KEY, fakeKms } from '../helpers/fake-kms.ts';
import { describeSecretStoreContract, TAGS, TestClock, token } from './secret-store.contract.ts';

const TABLE = 'credval-envelope-test';
let dynamo: LocalDynamo;
let documents: DynamoDBDocumentClient;
const roots: string[] = [];

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  const client = createDynamoClient(dynamo.endpoint);
  await ensureCredentialsTable(client, TABLE);
  client.destroy();
  documents = createDocumentClient(dynamo.endpoint);
});
afterAll(async () => {
  documents?.destroy();
  await dynamo?.close();
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

const kms = fakeKms();
const kmsStore = (clock?: Clock, tableName = TABLE) =>
  new EnvelopeSecretStore({
    client: documents,
    tableName,
    keys: new KmsDataKeys({ client: kms.client, keyId: FAKE_KMS_KEY }),
    secretPrefix: 'credval',
    ...(clock ? { clock } : {}),
  });

/**
 * A table of its own, for stores whose keys differ from `kms` (another key file, a failing KMS) or tests that count
 * branch keys: the branch keys of a table are shared by every store on it, as by every container of a deployment.
 */
async function freshTable(): Promise<string> {
  const tableName = `credval-envelope-${randomUUID()}`;
  const client = createDynamoClient(dynamo.endpoint);
  await ensureCredentialsTable(client, tableName);
  client.destroy();
  return tableName;
}

// The contract runs on one table for every test: each test uses names of its own (random ids), except the listing
// test, whose fixed names get a prefix of their own here so that the runs do not see each other.
describeSecretStoreContract('EnvelopeSecretStore (KMS faked at the SDK, dynalite)', (clock) =>
  prefixed(kmsStore(clock)),
);
describeSecretStoreContract('EnvelopeSecretStore (local key file, dynalite)', async (clock) => {
  const root = await mkdtemp(join(tmpdir(), 'credval-kek-'));
  roots.push(root);
  return prefixed(
    new EnvelopeSecretStore({
      client: documents,
      tableName: await freshTable(),
      keys: new LocalDataKeys({ dir: root }),
      secretPrefix: 'credval',
      clock,
    }),
  );
});

/**
 * The store with every name moved under a run-specific top segment (`credval/x` -> `run-<id>/credval/x`), so the
 * fixed names of the contract's listing test stay apart between runs on the shared table.
 */
function prefixed(store: EnvelopeSecretStore): EnvelopeSecretStore {
  const run = `run-${randomUUID()}/`;
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return async (name: string, ...rest: unknown[]) => {
        const result = await value.call(target, `${run}${name}`, ...rest);
        if (property !== 'list') return result;
        const page = result as { items: Array<{ name: string }> };
        return { ...page, items: page.items.map((item) => ({ ...item, name: item.name.slice(run.length) })) };
      };
    },
  });
}

/** Every attribute value of every item in the table, as text and raw bytes, for canary searches. */
async function tableBytes(tableName = TABLE): Promise<Buffer> {
  const client = createDynamoClient(dynamo.endpoint);
  try {
    const output = await client.send(new ScanCommand({ TableName: tableName }));
    const raw: Buffer[] = [];
    JSON.stringify(output.Items, (_key, value) => {
      if (value instanceof Uint8Array) raw.push(Buffer.from(value));
      return value;
    });
    return Buffer.concat([
      Buffer.from(inspect(output.Items, { depth: 20, maxArrayLength: null, maxStringLength: null })),
      ...raw,
    ]);
  } finally {
    client.destroy();
  }
}

const name = () => `credval/tenant-a/${randomUUID()}`;

describe('EnvelopeSecretStore: what it stores', () => {
  it('stores ciphertext and encrypted keys only: no value, no plaintext branch key, in any item', async () => {
    const canary = `canary-${randomUUID()}`;
    const tableName = await freshTable();
    const store = kmsStore(undefined, tableName);
    const n = name();
    await store.create(n, { apiKey: canary }, { requestToken: token(), tags: TAGS });
    await store.putCurrent(n, { apiKey: `${canary}-2` }, { requestToken: token() });
    const bytes = await tableBytes(tableName);
    expect(bytes.includes(canary)).toBe(false);
    // Every key KMS ever handed out in this file (the branch keys among them), in no item in clear or base64.
    expect(kms.issued.length).toBeGreaterThan(0);
    for (const key of kms.issued) {
      expect(bytes.includes(key)).toBe(false);
      expect(bytes.includes(key.toString('base64'))).toBe(false);
      expect(bytes.includes(key.toString('hex'))).toBe(false);
    }
    const raw = await documents.send(new GetCommand({ TableName: tableName, Key: secretItemKey(n) }));
    for (const version of (raw.Item?.versions ?? []) as Array<Record<string, unknown>>) {
      expect(version).toMatchObject({ branch: expect.any(String), salt: expect.any(Uint8Array) });
      expect(version).not.toHaveProperty('key');
    }
    expect(raw.Item).toMatchObject({ kind: 'secret', name: n, tags: TAGS, revision: 2 });
    expect(((raw.Item?.versions ?? []) as Array<{ stages: string[] }>).map((v) => v.stages)).toEqual([
      ['AWSPREVIOUS'],
      ['AWSCURRENT'],
    ]);
  });

  it('calls KMS once per branch key, not per secret: its context names the deployment, never a secret', async () => {
    const tableName = await freshTable();
    const names = [name(), name(), name()];
    kms.mock.resetHistory();
    const writer = kmsStore(undefined, tableName);
    for (const n of names) await writer.create(n, { apiKey: n }, { requestToken: token(), tags: TAGS });
    for (const n of names) expect(await writer.getCurrent(n)).toEqual({ apiKey: n });
    const generated = kms.mock.commandCalls(GenerateDataKeyCommand).map((c) => c.args[0].input);
    expect(generated).toEqual([
      {
        KeyId: FAKE_KMS_KEY,
        KeySpec: 'AES_256',
        EncryptionContext: { 'credval:branch-key': expect.stringMatching(/^credval\/branch-keys\/\d{4}-/) },
      },
    ]);
    // The writer keeps the key it made; another container (a new store) decrypts it once for every secret it reads.
    expect(kms.mock.commandCalls(DecryptCommand)).toHaveLength(0);
    const reader = kmsStore(undefined, tableName);
    for (let round = 0; round < 3; round += 1) {
      for (const n of names) expect(await reader.getCurrent(n)).toEqual({ apiKey: n });
    }
    expect(kms.mock.commandCalls(DecryptCommand).map((c) => c.args[0].input)).toEqual([
      expect.objectContaining({ KeyId: FAKE_KMS_KEY, EncryptionContext: generated[0]?.EncryptionContext }),
    ]);
    // The same container sealing under that key (a rotation after a read) asks KMS nothing more.
    await reader.create(name(), { apiKey: 'sealed by the reader' }, { requestToken: token(), tags: TAGS });
    expect(kms.mock.commandCalls(DecryptCommand)).toHaveLength(1);
    expect(kms.mock.commandCalls(GenerateDataKeyCommand)).toHaveLength(1);
  });

  it('asks KMS again once a branch key has been cached for BRANCH_KEY_CACHE_MS, and makes a new one after a month', async () => {
    const tableName = await freshTable();
    const clock = new TestClock();
    const store = kmsStore(clock, tableName);
    const [first, second] = [name(), name()];
    kms.mock.resetHistory();
    await store.create(first, { apiKey: '1' }, { requestToken: token(), tags: TAGS });
    clock.advanceMs(BRANCH_KEY_CACHE_MS - 1);
    await store.getCurrent(first);
    expect(kms.mock.commandCalls(DecryptCommand)).toHaveLength(0);
    clock.advanceMs(1);
    await store.getCurrent(first);
    expect(kms.mock.commandCalls(DecryptCommand)).toHaveLength(1);

    clock.advanceMs(BRANCH_KEY_ROTATE_AFTER_MS);
    await store.create(second, { apiKey: '2' }, { requestToken: token(), tags: TAGS });
    expect(kms.mock.commandCalls(GenerateDataKeyCommand)).toHaveLength(2);
    const branchOf = async (n: string) => {
      const item = (await documents.send(new GetCommand({ TableName: tableName, Key: secretItemKey(n) })))
        .Item;
      return (item?.versions as Array<{ branch: string }> | undefined)?.[0]?.branch;
    };
    expect(await branchOf(second)).not.toBe(await branchOf(first));
    // Both keys stay: what was sealed under the old one still opens, in this container and a fresh one.
    expect(await store.getCurrent(first)).toEqual({ apiKey: '1' });
    expect(await kmsStore(clock, tableName).getCurrent(first)).toEqual({ apiKey: '1' });
  });

  it('still opens versions sealed before branch keys (a KMS data key of their own), and seals the next under a branch key', async () => {
    const n = name();
    const versionId = token();
    // A version as the store wrote it before branch keys: AES-256-GCM under a data key KMS bound to the name.
    const dataKeys = new KmsDataKeys({ client: kms.client, keyId: FAKE_KMS_KEY });
    const dataKey = await dataKeys.generateDataKey({ 'credval:secret': n });
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', dataKey.plaintext, iv, { authTagLength: 16 });
    cipher.setAAD(Buffer.from(JSON.stringify(['credval-secret-v1', n, versionId])));
    const ciphertext = Buffer.concat([
      cipher.update(JSON.stringify({ apiKey: 'from before' })),
      cipher.final(),
    ]);
    await documents.send(
      new PutCommand({
        TableName: TABLE,
        Item: {
          ...secretItemKey(n),
          kind: 'secret',
          name: n,
          createdAt: '2026-06-01T00:00:00.000Z',
          tags: TAGS,
          versions: [
            {
              id: versionId,
              stages: ['AWSCURRENT'],
              createdAt: '2026-06-01T00:00:00.000Z',
              key: dataKey.encrypted,
              iv,
              ciphertext,
              tag: cipher.getAuthTag(),
            },
          ],
          revision: 1,
        },
      }),
    );
    const store = kmsStore();
    expect(await store.getCurrent(n)).toEqual({ apiKey: 'from before' });
    await store.putCurrent(n, { apiKey: 'after' }, { requestToken: token() });
    expect(await store.getVersions(n)).toMatchObject({
      current: { value: { apiKey: 'after' } },
      previous: { value: { apiKey: 'from before' } },
    });
    const raw = await documents.send(new GetCommand({ TableName: TABLE, Key: secretItemKey(n) }));
    const versions = raw.Item?.versions as Array<Record<string, unknown>>;
    expect(versions.map((v) => ('key' in v ? 'own data key' : 'branch key'))).toEqual([
      'own data key',
      'branch key',
    ]);
  });

  it('fails closed when a branch key is missing, altered or not decryptable by this KMS key', async () => {
    const tableName = await freshTable();
    const store = kmsStore(undefined, tableName);
    const n = name();
    await store.create(n, { apiKey: 'k' }, { requestToken: token(), tags: TAGS });
    const branches = await documents.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'SECRET#KEYS' },
      }),
    );
    const branch = branches.Items?.[0] as Record<string, unknown> & { key: Uint8Array };
    expect(branches.Items).toHaveLength(1);

    // Altered: KMS refuses it.
    const altered = Uint8Array.from(branch.key);
    altered[altered.length - 1] = (altered.at(-1) ?? 0) ^ 1;
    await documents.send(new PutCommand({ TableName: tableName, Item: { ...branch, key: altered } }));
    await expect(kmsStore(undefined, tableName).getCurrent(n)).rejects.toThrow(SecretUnreadableError);
    // And a writer will not seal under it, nor start a second set of keys beside it.
    await expect(
      kmsStore(undefined, tableName).create(name(), { apiKey: 'x' }, { requestToken: token(), tags: TAGS }),
    ).rejects.toThrow('The newest branch key does not decrypt under this KMS key.');

    // Missing.
    await documents.send(
      new DeleteCommand({ TableName: tableName, Key: { pk: branch.pk as string, sk: branch.sk as string } }),
    );
    const error = await kmsStore(undefined, tableName)
      .getCurrent(n)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretUnreadableError);
    expect(String(error)).not.toMatch(/KMS|DynamoDB|branch/);
  });

  it('fails closed on a ciphertext copied to another secret: SecretUnreadableError, no value, no internals', async () => {
    const canary = `canary-${randomUUID()}`;
    const store = kmsStore();
    const [from, to] = [name(), name()];
    await store.create(from, { apiKey: canary }, { requestToken: token(), tags: TAGS });
    await store.create(to, { apiKey: 'the other one' }, { requestToken: token(), tags: TAGS });
    const source = await documents.send(new GetCommand({ TableName: TABLE, Key: secretItemKey(from) }));
    const target = await documents.send(new GetCommand({ TableName: TABLE, Key: secretItemKey(to) }));
    // The attacker keeps the target's version ids, so only the encryption gives the copy away.
    const moved = ((source.Item?.versions ?? []) as Array<Record<string, unknown>>).map((v, i) => ({
      ...v,
      id: ((target.Item?.versions ?? []) as Array<{ id: string }>)[i]?.id,
    }));
    await documents.send(new PutCommand({ TableName: TABLE, Item: { ...target.Item, versions: moved } }));
    const error = await store.getCurrent(to).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretUnreadableError);
    expect((error as SecretUnreadableError).code).toBe('secret_unreadable');
    for (const form of [
      String(error),
      inspect(error, { depth: 10, showHidden: true }),
      JSON.stringify(error),
    ]) {
      expect(form).not.toContain(canary);
      expect(form).not.toMatch(/InvalidCiphertext|KMS|DynamoDB/);
    }
    // The source is untouched, and still reads.
    expect(await store.getCurrent(from)).toEqual({ apiKey: canary });
  });

  it('fails closed on a version id swapped within one secret (the id is authenticated too)', async () => {
    const store = kmsStore();
    const n = name();
    await store.create(n, { v: '1' }, { requestToken: token(), tags: TAGS });
    const raw = await documents.send(new GetCommand({ TableName: TABLE, Key: secretItemKey(n) }));
    const versions = raw.Item?.versions as Array<Record<string, unknown>>;
    await documents.send(
      new PutCommand({
        TableName: TABLE,
        Item: { ...raw.Item, versions: versions.map((v) => ({ ...v, id: randomUUID() })) },
      }),
    );
    await expect(store.getCurrent(n)).rejects.toThrow(SecretUnreadableError);
  });

  it('fails closed on an altered ciphertext', async () => {
    const store = kmsStore();
    const n = name();
    await store.create(n, { apiKey: 'k' }, { requestToken: token(), tags: TAGS });
    const raw = await documents.send(new GetCommand({ TableName: TABLE, Key: secretItemKey(n) }));
    const version = ((raw.Item?.versions ?? []) as Array<{ ciphertext: Uint8Array }>)[0] as {
      ciphertext: Uint8Array;
    };
    version.ciphertext[0] = (version.ciphertext[0] ?? 0) ^ 1;
    await documents.send(new PutCommand({ TableName: TABLE, Item: raw.Item }));
    await expect(store.getCurrent(n)).rejects.toThrow(SecretUnreadableError);
  });

  it('keeps a deleted secret with the table TTL set to the end of its recovery window, and drops it on restore', async () => {
    const clock = new TestClock();
    const store = kmsStore(clock);
    const n = name();
    await store.create(n, { apiKey: 'k' }, { requestToken: token(), tags: TAGS });
    await store.scheduleDeletion(n, 7);
    const scheduled = await documents.send(new GetCommand({ TableName: TABLE, Key: secretItemKey(n) }));
    expect(scheduled.Item?.expiresAt).toBe(Math.ceil((clock.now().getTime() + 7 * 86_400_000) / 1000));
    await store.restore(n);
    const restored = await documents.send(new GetCommand({ TableName: TABLE, Key: secretItemKey(n) }));
    expect(restored.Item?.expiresAt).toBeUndefined();
    expect(restored.Item?.deletion).toBeUndefined();
  });

  it('keeps its items out of the credentials and the change feed: own partitions, no C# sort key', async () => {
    const n = name();
    await kmsStore().create(n, { apiKey: 'k' }, { requestToken: token(), tags: TAGS });
    const key = secretItemKey(n);
    expect(key.pk).toMatch(/^SECRET#\d\d$/);
    expect(key.sk).toBe(`S#${n}`);
  });

  it('says which KMS call failed, and only that, when KMS is unavailable', async () => {
    const failing = fakeKms();
    failing.mock
      .on(GenerateDataKeyCommand)
      .rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
    const store = new EnvelopeSecretStore({
      client: documents,
      tableName: await freshTable(),
      keys: new KmsDataKeys({ client: failing.client, keyId: FAKE_KMS_KEY }),
      secretPrefix: 'credval',
    });
    const error = await store
      .create(name(), { apiKey: 'k' }, { requestToken: token(), tags: TAGS })
      .catch((e) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect(String(error)).toContain('KMS GenerateDataKey failed (ThrottlingException)');
  });
});

describe('EnvelopeSecretStore: two containers at once (conditional writes)', () => {
  it('lets one of two rotations with the same token win across processes; the loser gets ConflictError', async () => {
    const [a, b] = [kmsStore(), kmsStore()];
    const n = name();
    const first = token();
    await a.create(n, { apiKey: 'old' }, { requestToken: first, tags: TAGS });
    const requestToken = token();
    const results = await Promise.allSettled([
      a.putCurrent(n, { apiKey: 'one' }, { requestToken }),
      b.putCurrent(n, { apiKey: 'two' }, { requestToken }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(
      ConflictError,
    );
    await a.revertCurrent(n, { from: requestToken, to: first });
    expect(await b.getCurrent(n)).toEqual({ apiKey: 'old' });
  });

  it('loses no version when several containers rotate one secret at once', async () => {
    const stores = [kmsStore(), kmsStore(), kmsStore()];
    const n = name();
    await stores[0]?.create(n, { v: '0' }, { requestToken: token(), tags: TAGS });
    const tokens = [token(), token(), token()];
    await Promise.all(
      stores.map((s, i) => s.putCurrent(n, { v: String(i + 1) }, { requestToken: tokens[i] as string })),
    );
    const raw = await documents.send(new GetCommand({ TableName: TABLE, Key: secretItemKey(n) }));
    const item = raw.Item as {
      versions: Array<{ id: string }>;
      retiredVersionIds: string[];
      revision: number;
    };
    // Every write happened: each token is the current, the previous, or a retired version.
    const seen = [...item.versions.map((v) => v.id), ...item.retiredVersionIds];
    for (const t of tokens) expect(seen).toContain(t);
    expect(item.revision).toBe(4);
  });

  it('creates a name once when two containers create it at once with the same token', async () => {
    const [a, b] = [kmsStore(), kmsStore()];
    const n = name();
    const requestToken = token();
    await Promise.all([
      a.create(n, { apiKey: 'k' }, { requestToken, tags: TAGS }),
      b.create(n, { apiKey: 'k' }, { requestToken, tags: TAGS }),
    ]);
    expect(await a.getCurrent(n)).toEqual({ apiKey: 'k' });
  });
});
