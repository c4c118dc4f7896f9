import { inspect } from 'node:util';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  InvalidRequestException,
  ListSecretsCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  RestoreSecretCommand,
  SecretsManagerClient,
  SecretsManagerServiceException,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { ConflictError, SecretNotFoundError, StorageError } from '../../shared/domain/errors.ts';
import { SecretsManagerSecretStore } from '../../shared/store/secrets-manager-secret-store.ts';

const NAME = 'credval/tenant-a/cred-1';
const KMS = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const TOKEN = '6f1c1a52-7a0e-4c8e-9d7b-3c2f1e0a9b8c';
const V_OLD = '0b0c0d0e-0000-4000-8000-000000000001';
const V_NEW = '0b0c0d0e-0000-4000-8000-000000000002';
const CANARY = 'canary-3e9f1f0e-secret-value';
const TAGS = { tenantId: 'tenant-a', credentialId: 'cred-1', connector: 'odoo' };

const client = new SecretsManagerClient({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'never-used' },
});
const sm = mockClient(client);
afterEach(() => sm.reset());

const store = (kmsKeyId: string | null = KMS) =>
  new SecretsManagerSecretStore({ client, ...(kmsKeyId === null ? {} : { kmsKeyId }) });

const COMMANDS = {
  CreateSecret: CreateSecretCommand,
  DeleteSecret: DeleteSecretCommand,
  DescribeSecret: DescribeSecretCommand,
  GetSecretValue: GetSecretValueCommand,
  ListSecrets: ListSecretsCommand,
  PutSecretValue: PutSecretValueCommand,
  RestoreSecret: RestoreSecretCommand,
  UpdateSecretVersionStage: UpdateSecretVersionStageCommand,
};
/** Every command the store sent, in order, as [operation, input]. */
function sent(): [string, unknown][] {
  return sm.calls().map((call) => {
    const command = call.args[0];
    const entry = Object.entries(COMMANDS).find(([, type]) => command instanceof type);
    return [entry?.[0] ?? 'unknown', command.input];
  });
}

const notFound = () =>
  new ResourceNotFoundException({
    message: "Secrets Manager can't find the specified secret.",
    $metadata: {},
  });
const throttled = () =>
  new SecretsManagerServiceException({
    name: 'ThrottlingException',
    $fault: 'client',
    message: 'Rate exceeded',
    $metadata: { httpStatusCode: 400 },
  });
const invalidRequest = (message: string) => new InvalidRequestException({ message, $metadata: {} });

/** The error in every form a log line or a response could take: none may hold the secret. */
function expectNoCanary(error: unknown): void {
  const forms = [
    String(error),
    (error as Error).stack ?? '',
    JSON.stringify(error),
    inspect(error, { depth: 10, showHidden: true }),
  ];
  for (const form of forms) expect(form).not.toContain(CANARY);
}

describe('SecretsManagerSecretStore: the commands it sends', () => {
  it('creates with the KMS key, the tags and the request token', async () => {
    sm.on(CreateSecretCommand).resolves({ Name: NAME, VersionId: TOKEN });
    await store().create(NAME, { apiKey: CANARY, user: 'alice' }, { requestToken: TOKEN, tags: TAGS });
    expect(sent()).toEqual([
      [
        'CreateSecret',
        {
          Name: NAME,
          Description: 'credval credential',
          SecretString: JSON.stringify({ apiKey: CANARY, user: 'alice' }),
          KmsKeyId: KMS,
          ClientRequestToken: TOKEN,
          Tags: [
            { Key: 'credval:tenant', Value: 'tenant-a' },
            { Key: 'credval:credential', Value: 'cred-1' },
            { Key: 'credval:connector', Value: 'odoo' },
          ],
        },
      ],
    ]);
  });

  it('leaves KmsKeyId out when no key is configured', async () => {
    sm.on(CreateSecretCommand).resolves({});
    await store(null).create(NAME, { apiKey: 'k' }, { requestToken: TOKEN, tags: TAGS });
    expect(sent()[0]?.[1]).not.toHaveProperty('KmsKeyId');
  });

  it('checks the request token before sending anything', async () => {
    await expect(store().create(NAME, { a: 'b' }, { requestToken: 'short', tags: TAGS })).rejects.toThrow(
      RangeError,
    );
    await expect(store().putCurrent(NAME, { a: 'b' }, { requestToken: 'x'.repeat(65) })).rejects.toThrow(
      RangeError,
    );
    expect(sent()).toEqual([]);
  });

  it('reads AWSCURRENT and parses the JSON object', async () => {
    sm.on(GetSecretValueCommand).resolves({
      SecretString: '{"apiKey":"k","user":"alice"}',
      VersionId: V_OLD,
    });
    expect(await store().getCurrent(NAME)).toEqual({ apiKey: 'k', user: 'alice' });
    expect(sent()).toEqual([['GetSecretValue', { SecretId: NAME, VersionStage: 'AWSCURRENT' }]]);
  });

  it('gives the current and the previous version with their ids (moving secrets), and null for a first version', async () => {
    sm.on(GetSecretValueCommand, { SecretId: NAME, VersionStage: 'AWSCURRENT' })
      .resolves({ SecretString: '{"apiKey":"new"}', VersionId: V_NEW })
      .on(GetSecretValueCommand, { SecretId: NAME, VersionStage: 'AWSPREVIOUS' })
      .resolvesOnce({ SecretString: '{"apiKey":"old"}', VersionId: V_OLD })
      .rejects(notFound());
    expect(await store().getVersions(NAME)).toEqual({
      current: { id: V_NEW, value: { apiKey: 'new' } },
      previous: { id: V_OLD, value: { apiKey: 'old' } },
    });
    expect(sent()).toEqual([
      ['GetSecretValue', { SecretId: NAME, VersionStage: 'AWSCURRENT' }],
      ['GetSecretValue', { SecretId: NAME, VersionStage: 'AWSPREVIOUS' }],
    ]);
    expect(await store().getVersions(NAME)).toEqual({
      current: { id: V_NEW, value: { apiKey: 'new' } },
      previous: null,
    });
  });

  it('writes a new current version with the request token, and Secrets Manager labels it AWSCURRENT', async () => {
    sm.on(PutSecretValueCommand).resolves({ VersionId: TOKEN, VersionStages: ['AWSCURRENT'] });
    expect(await store().putCurrent(NAME, { apiKey: 'new' }, { requestToken: TOKEN })).toBe(TOKEN);
    // No VersionStages: Secrets Manager then moves AWSCURRENT to the new version and AWSPREVIOUS to the old one.
    expect(sent()).toEqual([
      ['PutSecretValue', { SecretId: NAME, SecretString: '{"apiKey":"new"}', ClientRequestToken: TOKEN }],
    ]);
  });

  it('maps the same token with another value (a rotation of the same version that lost) to ConflictError', async () => {
    sm.on(PutSecretValueCommand).rejects(
      new ResourceExistsException({
        message: 'A resource with the ID you requested already exists.',
        $metadata: {},
      }),
    );
    await expect(store().putCurrent(NAME, { apiKey: 'other' }, { requestToken: TOKEN })).rejects.toThrow(
      ConflictError,
    );
  });

  it('reverts by moving AWSCURRENT back from the version it names to the one given', async () => {
    sm.on(UpdateSecretVersionStageCommand).resolves({ Name: NAME });
    await store().revertCurrent(NAME, { from: V_NEW, to: V_OLD });
    expect(sent()).toEqual([
      [
        'UpdateSecretVersionStage',
        { SecretId: NAME, VersionStage: 'AWSCURRENT', RemoveFromVersionId: V_NEW, MoveToVersionId: V_OLD },
      ],
    ]);
  });

  it('takes a revert whose version is no longer current (InvalidParameterException) as nothing to undo', async () => {
    sm.on(UpdateSecretVersionStageCommand).rejects(
      Object.assign(new Error('The parameter RemoveFromVersionId is not the current version'), {
        name: 'InvalidParameterException',
      }),
    );
    await store().revertCurrent(NAME, { from: V_NEW, to: V_OLD });
    await store().revertCurrent(NAME, { from: V_OLD, to: V_OLD });
    expect(sent()).toHaveLength(1);
  });

  it('lists the secrets under a prefix, with deletion dates, and pages with NextToken', async () => {
    sm.on(ListSecretsCommand)
      .resolvesOnce({
        SecretList: [
          { Name: 'credval/t/1', CreatedDate: new Date('2026-01-01T00:00:00Z') },
          { Name: 'credval/t/2', CreatedDate: new Date('2026-01-02T00:00:00Z'), DeletedDate: new Date() },
        ],
        NextToken: 'next-page',
      })
      .resolvesOnce({ SecretList: [{ Name: 'credvalx/t/3', CreatedDate: new Date() }] });
    const first = await store().list('credval/', { limit: 50 });
    expect(first).toEqual({
      items: [
        { name: 'credval/t/1', createdAt: '2026-01-01T00:00:00.000Z', deletionScheduled: false },
        { name: 'credval/t/2', createdAt: '2026-01-02T00:00:00.000Z', deletionScheduled: true },
      ],
      nextCursor: 'next-page',
    });
    // Another prefix that merely starts alike is filtered out.
    expect(await store().list('credval/', { limit: 50, cursor: 'next-page' })).toEqual({
      items: [],
      nextCursor: null,
    });
    expect(sent()).toEqual([
      [
        'ListSecrets',
        { Filters: [{ Key: 'name', Values: ['credval/'] }], IncludePlannedDeletion: true, MaxResults: 50 },
      ],
      [
        'ListSecrets',
        {
          Filters: [{ Key: 'name', Values: ['credval/'] }],
          IncludePlannedDeletion: true,
          MaxResults: 50,
          NextToken: 'next-page',
        },
      ],
    ]);
  });

  it('schedules deletion with a recovery window of 7 to 30 days', async () => {
    sm.on(DeleteSecretCommand).resolves({});
    await store().scheduleDeletion(NAME, 7);
    await store().scheduleDeletion(NAME, 30);
    for (const days of [0, 6, 31, 7.5]) {
      await expect(store().scheduleDeletion(NAME, days)).rejects.toThrow(RangeError);
    }
    expect(sent()).toEqual([
      ['DeleteSecret', { SecretId: NAME, RecoveryWindowInDays: 7 }],
      ['DeleteSecret', { SecretId: NAME, RecoveryWindowInDays: 30 }],
    ]);
  });

  it('takes a repeated scheduleDeletion as done once the secret is marked for deletion', async () => {
    sm.on(DeleteSecretCommand).rejects(invalidRequest('already scheduled for deletion'));
    sm.on(DescribeSecretCommand).resolves({ DeletedDate: new Date('2026-01-05T10:00:00Z') });
    await store().scheduleDeletion(NAME, 7);
    expect(sent().map(([operation]) => operation)).toEqual(['DeleteSecret', 'DescribeSecret']);
  });

  it('does not take another InvalidRequestException on DeleteSecret as done', async () => {
    sm.on(DeleteSecretCommand).rejects(invalidRequest('something else'));
    sm.on(DescribeSecretCommand).resolves({});
    await expect(store().scheduleDeletion(NAME, 7)).rejects.toThrow(StorageError);
  });

  it('restores', async () => {
    sm.on(RestoreSecretCommand).resolves({ Name: NAME });
    await store().restore(NAME);
    expect(sent()).toEqual([['RestoreSecret', { SecretId: NAME }]]);
  });

  it('deletes at once without recovery, and takes a missing secret as deleted', async () => {
    sm.on(DeleteSecretCommand).resolvesOnce({}).rejectsOnce(notFound());
    await store().deleteNow(NAME);
    await store().deleteNow(NAME);
    expect(sent()).toEqual([
      ['DeleteSecret', { SecretId: NAME, ForceDeleteWithoutRecovery: true }],
      ['DeleteSecret', { SecretId: NAME, ForceDeleteWithoutRecovery: true }],
    ]);
  });
});

describe('SecretsManagerSecretStore: errors', () => {
  it('maps ResourceNotFoundException to SecretNotFoundError', async () => {
    sm.onAnyCommand().rejects(notFound());
    const s = store();
    await expect(s.getCurrent(NAME)).rejects.toThrow(SecretNotFoundError);
    await expect(s.putCurrent(NAME, { a: 'b' }, { requestToken: TOKEN })).rejects.toThrow(
      SecretNotFoundError,
    );
    await expect(s.revertCurrent(NAME, { from: V_NEW, to: V_OLD })).rejects.toThrow(SecretNotFoundError);
    await expect(s.scheduleDeletion(NAME, 7)).rejects.toThrow(SecretNotFoundError);
    await expect(s.restore(NAME)).rejects.toThrow(SecretNotFoundError);
    const error = await s.getCurrent(NAME).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'secret_not_found' });
  });

  it('reads a secret marked for deletion (InvalidRequestException) as missing', async () => {
    sm.on(GetSecretValueCommand).rejects(
      invalidRequest("You can't perform this operation on the secret because it was marked for deletion."),
    );
    await expect(store().getCurrent(NAME)).rejects.toThrow(SecretNotFoundError);
  });

  it('maps an existing name on create to ConflictError', async () => {
    sm.on(CreateSecretCommand).rejects(
      new ResourceExistsException({
        message: 'The operation failed because the secret already exists.',
        $metadata: {},
      }),
    );
    await expect(store().create(NAME, { a: 'b' }, { requestToken: TOKEN, tags: TAGS })).rejects.toThrow(
      ConflictError,
    );
  });

  it('maps throttling to a StorageError that keeps the SDK error as cause and never holds the secret', async () => {
    const cause = throttled();
    sm.onAnyCommand().rejects(cause);
    const s = store();
    const attempts = [
      s.create(NAME, { apiKey: CANARY }, { requestToken: TOKEN, tags: TAGS }),
      s.putCurrent(NAME, { apiKey: CANARY }, { requestToken: TOKEN }),
      s.getCurrent(NAME),
      s.revertCurrent(NAME, { from: V_NEW, to: V_OLD }),
      s.list('credval/', { limit: 10 }),
      s.scheduleDeletion(NAME, 7),
      s.restore(NAME),
      s.deleteNow(NAME),
    ];
    for (const attempt of attempts) {
      const error = await attempt.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageError);
      expect(error).toMatchObject({ code: 'storage_unavailable', cause });
      expect(String(error)).toMatch(/^ServiceError: Secrets Manager \w+ failed \(ThrottlingException\)\.$/);
      expectNoCanary(error);
    }
  });

  it('does not quote a stored value that is not JSON in its error', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: `{"apiKey":"${CANARY}"` });
    const error = await store()
      .getCurrent(NAME)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as Error).message).toBe('The stored secret is not a JSON object of strings.');
    expect((error as Error).cause).toBeUndefined();
    expectNoCanary(error);
  });

  it('refuses a stored value that is not an object of strings, or binary', async () => {
    sm.on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: JSON.stringify({ apiKey: CANARY, port: 8069 }) })
      .resolvesOnce({ SecretString: JSON.stringify([CANARY]) })
      .resolvesOnce({ SecretBinary: new Uint8Array([1, 2, 3]) });
    for (let i = 0; i < 3; i++) {
      const error = await store()
        .getCurrent(NAME)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageError);
      expectNoCanary(error);
    }
  });
});
