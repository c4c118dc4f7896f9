// Moving secrets between the AWS stores: Secrets Manager (faked with state at the SDK boundary) and the envelope
// store (dynalite, KMS faked at the SDK boundary, really encrypting), through the real adapters and repository.
import { randomUUID } from 'node:crypto';
import { DeleteSecretCommand } from '@aws-sdk/client-secrets-manager';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Credential } from '../../shared/domain/credential.ts';
import { StorageError } from '../../shared/domain/errors.ts';
import { migrateSecrets } from '../../shared/service/migrate-secrets.ts';
import { DynamoCredentialRepository } from '../../shared/store/dynamo-credential-repository.ts';
import { EnvelopeSecretStore } from '../../shared/store/envelope-secret-store.ts';
import { KmsDataKeys } from '../../shared/store/kms-data-keys.ts';
import {
  createDocumentClient,
  createDynamoClient,
  ensureCredentialsTable,
  type LocalDynamo,
  startLocalDynamo,
} from '../../shared/store/local-dynamo.ts';
import type { SecretStore } from '../../shared/store/ports.ts';
import { SecretsManagerSecretStore } from '../../shared/store/secrets-manager-secret-store.ts';
import { FAKE_KMS_KEY, fakeKms } from '../helpers/fake-kms.ts';
import { fakeSecretsManager } from '../helpers/fake-secrets-manager.ts';

const TENANT = 'tenant-m';
let dynamo: LocalDynamo;
let documents: DynamoDBDocumentClient;
let table: string;
let sm: ReturnType<typeof fakeSecretsManager>;
let secretsManager: SecretsManagerSecretStore;
let envelope: EnvelopeSecretStore;
let repository: DynamoCredentialRepository;
let prefix: string;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  documents = createDocumentClient(dynamo.endpoint);
});
afterAll(async () => {
  documents?.destroy();
  await dynamo?.close();
});
beforeEach(async () => {
  table = `credval-migrate-${randomUUID().slice(0, 8)}`;
  const admin = createDynamoClient(dynamo.endpoint);
  await ensureCredentialsTable(admin, table);
  admin.destroy();
  sm = fakeSecretsManager();
  secretsManager = new SecretsManagerSecretStore({ client: sm.client, kmsKeyId: FAKE_KMS_KEY });
  envelope = new EnvelopeSecretStore({
    client: documents,
    tableName: table,
    keys: new KmsDataKeys({ client: fakeKms().client, keyId: FAKE_KMS_KEY }),
    secretPrefix: 'credval/prod',
  });
  repository = new DynamoCredentialRepository({ client: documents, tableName: table });
  prefix = 'credval/prod';
});

/** A stored credential whose secret is in `store`: created, and rotated `rotations` times. */
async function seed(store: SecretStore, value: string, rotations = 0): Promise<Credential> {
  const id: string = randomUUID();
  const name = `${prefix}/${TENANT}/${id}`;
  await store.create(
    name,
    { apiKey: value },
    {
      requestToken: id,
      tags: { tenantId: TENANT, credentialId: id, connector: 'dolibarr' },
    },
  );
  let version = id;
  for (let i = 1; i <= rotations; i++) {
    version = await store.putCurrent(name, { apiKey: `${value}-r${i}` }, { requestToken: `${id}-v${i}` });
  }
  const now = new Date().toISOString();
  const credential: Credential = {
    tenantId: TENANT,
    id,
    connector: 'dolibarr',
    name: 'moved',
    description: '',
    fields: { baseUrl: 'https://erp.example.com' },
    requirements: [],
    status: 'valid',
    lastCheck: null,
    version: 1 + rotations,
    createdAt: now,
    updatedAt: now,
    nextCheckAt: now,
    secretName: name,
    secretVersion: version,
    monitor: {
      rejections: 0,
      firstRejectedAt: null,
      inconclusiveStreak: 0,
      invalidChecks: 0,
      lastCheckId: null,
      lastStatusBefore: null,
      lastTrigger: null,
    },
  };
  await repository.create(credential);
  return credential;
}

const move = (
  source: SecretStore,
  target: SecretStore,
  extra: {
    dryRun?: boolean;
    keepSource?: boolean;
    concurrency?: number;
    onProgress?: (d: number, t: number) => void;
  } = {},
) => migrateSecrets({ source, target, repository, secretPrefix: prefix, recoveryDays: 7, ...extra });

describe('moving secrets between Secrets Manager and the envelope store', () => {
  it('moves Secrets Manager secrets to envelope items, versions and ids kept, then schedules their deletion', async () => {
    const plain = await seed(secretsManager, 'key-a');
    const rotated = await seed(secretsManager, 'key-b', 2);
    const result = await move(secretsManager, envelope);
    expect(result.outcomes).toMatchObject({ moved: 2, unsettled: 0, failed: 0 });
    expect(result).toMatchObject({ examined: 2, retired: 2, verified: 2, unreadable: 0 });
    for (const c of [plain, rotated]) {
      const versions = await envelope.getVersions(c.secretName);
      expect(versions.current.id).toBe(c.secretVersion);
    }
    expect((await envelope.getVersions(rotated.secretName)).previous).toEqual({
      id: `${rotated.id}-v1`,
      value: { apiKey: 'key-b-r1' },
    });
    // Retired with the recovery window: DeleteSecret, never a forced one.
    const deletes = sm.mock.commandCalls(DeleteSecretCommand).map((c) => c.args[0].input);
    expect(deletes).toEqual([
      expect.objectContaining({ RecoveryWindowInDays: 7 }),
      expect.objectContaining({ RecoveryWindowInDays: 7 }),
    ]);
    expect(deletes.some((d) => d.ForceDeleteWithoutRecovery)).toBe(false);
  });

  it('moves envelope secrets to Secrets Manager, and back again over the retired copies', async () => {
    const c = await seed(envelope, 'key-e', 1);
    expect((await move(envelope, secretsManager)).outcomes.moved).toBe(1);
    const inSm = await secretsManager.getVersions(c.secretName);
    expect(inSm.current).toEqual({ id: c.secretVersion, value: { apiKey: 'key-e-r1' } });
    expect(inSm.previous).toEqual({ id: c.id, value: { apiKey: 'key-e' } });
    // A rotation in Secrets Manager, then back: the envelope copy scheduled for deletion is restored and brought forward.
    const next = await secretsManager.putCurrent(
      c.secretName,
      { apiKey: 'key-e-r2' },
      { requestToken: `${c.id}-v2` },
    );
    await repository.replace({ ...c, version: c.version + 1, secretVersion: next }, c.version);
    const back = await move(secretsManager, envelope);
    expect(back.outcomes).toMatchObject({ moved: 1, failed: 0, unsettled: 0 });
    expect(await envelope.getVersions(c.secretName)).toMatchObject({
      current: { id: next, value: { apiKey: 'key-e-r2' } },
    });
  });

  it('lists on a dry run and changes nothing; keeps the source with --keep-source', async () => {
    const c = await seed(secretsManager, 'key-d');
    const dry = await move(secretsManager, envelope, { dryRun: true });
    expect(dry.outcomes.would_move).toBe(1);
    expect(dry.notes).toEqual([{ name: c.secretName, outcome: 'would_move' }]);
    expect((await envelope.list(`${prefix}/`, { limit: 10 })).items).toEqual([]);
    const kept = await move(secretsManager, envelope, { keepSource: true });
    expect(kept).toMatchObject({ retired: 0, verified: 1 });
    expect(await secretsManager.getCurrent(c.secretName)).toEqual({ apiKey: 'key-d' });
    // The second pass finds it moved and only retires the source.
    const second = await move(secretsManager, envelope);
    expect(second.outcomes).toMatchObject({ already_moved: 1, moved: 0 });
    expect(second.retired).toBe(1);
  });

  it('resumes an interrupted run: what moved is not written again, the rest moves', async () => {
    const first = await seed(secretsManager, 'key-1');
    const second = await seed(secretsManager, 'key-2');
    // The target fails on the second secret's write, as a process killed there would leave it.
    let creates = 0;
    const flaky = new Proxy(envelope, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (property !== 'create') return typeof value === 'function' ? value.bind(target) : value;
        return async (...args: Parameters<SecretStore['create']>) => {
          creates += 1;
          if (creates === 2) throw new StorageError('The secret store is unavailable.');
          return target.create(...args);
        };
      },
    });
    const broken = await move(secretsManager, flaky);
    expect(broken.outcomes).toMatchObject({ moved: 1, failed: 1 });
    expect(broken.notes).toEqual([
      expect.objectContaining({ outcome: 'failed', reason: 'The secret store is unavailable.' }),
    ]);
    const resumed = await move(secretsManager, envelope);
    expect(resumed.outcomes).toMatchObject({ moved: 1, deleted: 1, failed: 0 });
    for (const c of [first, second])
      expect((await envelope.getVersions(c.secretName)).current.id).toBe(c.secretVersion);
  });

  it('moves several secrets at once with concurrency, never more than asked, with the same result as one at a time', async () => {
    const seeded = [];
    for (let i = 0; i < 12; i++) seeded.push(await seed(secretsManager, `key-c${i}`, i % 3));
    // A failing one among them, so that the notes show the order they are reported in.
    const failing = seeded[5]?.secretName;
    let inFlight = 0;
    let most = 0;
    const counted = new Proxy(envelope, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (property !== 'create') return typeof value === 'function' ? value.bind(target) : value;
        return async (...args: Parameters<SecretStore['create']>) => {
          inFlight += 1;
          most = Math.max(most, inFlight);
          try {
            // Long enough for the other moves to start.
            await new Promise((resolve) => setTimeout(resolve, 20));
            if (args[0] === failing) throw new StorageError('The secret store is unavailable.');
            return await target.create(...args);
          } finally {
            inFlight -= 1;
          }
        };
      },
    });
    const progress: number[] = [];
    const result = await move(secretsManager, counted, {
      concurrency: 4,
      onProgress: (done, total) => {
        expect(total).toBe(12);
        progress.push(done);
      },
    });
    expect(most).toBe(4);
    expect(progress).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(result).toMatchObject({ examined: 12, retired: 11, verified: 11, unreadable: 0 });
    expect(result.outcomes).toMatchObject({ moved: 11, failed: 1 });
    expect(result.notes).toEqual([
      { name: failing, outcome: 'failed', reason: 'The secret store is unavailable.' },
    ]);
    for (const c of seeded.filter((c) => c.secretName !== failing)) {
      expect((await envelope.getVersions(c.secretName)).current.id).toBe(c.secretVersion);
    }
    // The rerun, one at a time, finishes the one that failed and finds the rest in place.
    const rerun = await move(secretsManager, envelope, { concurrency: 1 });
    expect(rerun.outcomes).toMatchObject({ moved: 1, deleted: 11, failed: 0 });
  });

  it('leaves orphans and foreign names alone, and copies the live source even when its item names another version (a change outside credval)', async () => {
    await secretsManager.create(
      `${prefix}/${TENANT}/${randomUUID()}`,
      { apiKey: 'orphan' },
      {
        requestToken: randomUUID(),
        tags: { tenantId: TENANT, credentialId: 'x', connector: 'dolibarr' },
      },
    );
    await secretsManager.create(
      `${prefix}/not/a/credential`,
      { apiKey: 'foreign' },
      {
        requestToken: randomUUID(),
        tags: { tenantId: TENANT, credentialId: 'x', connector: 'dolibarr' },
      },
    );
    const c = await seed(envelope, 'key-u');
    // The item names a version only the envelope store has; Secrets Manager holds an older copy (moved earlier).
    await secretsManager.create(
      c.secretName,
      { apiKey: 'stale' },
      {
        requestToken: randomUUID(),
        tags: { tenantId: TENANT, credentialId: c.id, connector: 'dolibarr' },
      },
    );
    await envelope.scheduleDeletion(c.secretName, 7);
    const result = await move(secretsManager, envelope);
    expect(result.outcomes).toMatchObject({ orphan: 1, foreign: 1, moved: 1 });
    // Copied from the live source, whatever the item named: the source is what the deployment read.
    expect(await envelope.getCurrent(c.secretName)).toEqual({ apiKey: 'stale' });
  });
});

describe('a credential that changes while it moves', () => {
  it('is left unsettled when a rotation lands during its move, and moves on the next run', async () => {
    const c = await seed(secretsManager, 'key-r');
    // A rotation through the API lands between the copy and its check (the repository is read twice per secret).
    let reads = 0;
    const racing = {
      get: async (tenantId: string, id: string) => {
        reads += 1;
        if (reads === 2) {
          const next = await secretsManager.putCurrent(
            c.secretName,
            { apiKey: 'key-r2' },
            {
              requestToken: `${c.id}-v1`,
            },
          );
          await repository.replace({ ...c, version: 2, secretVersion: next }, 1);
        }
        return repository.get(tenantId, id);
      },
    };
    const first = await migrateSecrets({
      source: secretsManager,
      target: envelope,
      repository: racing,
      secretPrefix: prefix,
      recoveryDays: 7,
    });
    expect(first.outcomes).toMatchObject({ unsettled: 1, moved: 0 });
    expect(first.retired).toBe(0);
    expect(await secretsManager.getCurrent(c.secretName)).toEqual({ apiKey: 'key-r2' });
    const second = await move(secretsManager, envelope);
    expect(second.outcomes).toMatchObject({ moved: 1 });
    expect(await envelope.getVersions(c.secretName)).toMatchObject({
      current: { id: `${c.id}-v1`, value: { apiKey: 'key-r2' } },
    });
  });
});
