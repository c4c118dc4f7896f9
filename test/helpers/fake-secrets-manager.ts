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
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { ConflictError, SecretNotFoundError } from '../../shared/domain/errors.ts';
import { AWSCURRENT, AWSPREVIOUS, MemorySecretStore } from '../../shared/store/memory-secret-store.ts';
import type { Clock } from '../../shared/store/ports.ts';

/**
 * Secrets Manager faked at the SDK boundary (aws-sdk-client-mock) with state: each command the adapter sends is
 * answered from a MemorySecretStore, which has Secrets Manager's version semantics, with Secrets Manager's error
 * types. Enough for tests that move secrets through the real adapter (its requests are real).
 */
export function fakeSecretsManager(clock?: Clock) {
  const client = new SecretsManagerClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'never-used' },
  });
  const mock = mockClient(client);
  const memory = new MemorySecretStore(clock ? { clock } : {});
  const sm = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      if (error instanceof SecretNotFoundError) {
        throw new ResourceNotFoundException({
          message: "Secrets Manager can't find the secret.",
          $metadata: {},
        });
      }
      if (error instanceof ConflictError) {
        throw new ResourceExistsException({ message: 'exists', $metadata: {} });
      }
      throw error;
    }
  };
  mock.on(CreateSecretCommand).callsFake((input) =>
    sm(async () => {
      const tags = Object.fromEntries(
        (input.Tags ?? []).map((t: { Key: string; Value: string }) => [t.Key, t.Value]),
      );
      await memory.create(input.Name, JSON.parse(input.SecretString), {
        requestToken: input.ClientRequestToken,
        tags: {
          tenantId: tags['credval:tenant'] ?? '',
          credentialId: tags['credval:credential'] ?? '',
          connector: tags['credval:connector'] ?? '',
        },
      });
      return { Name: input.Name, VersionId: input.ClientRequestToken };
    }),
  );
  mock.on(GetSecretValueCommand).callsFake((input) =>
    sm(async () => {
      const versions = await memory.getVersions(input.SecretId);
      const version = input.VersionStage === AWSPREVIOUS ? versions.previous : versions.current;
      if (!version) throw new SecretNotFoundError();
      return { Name: input.SecretId, VersionId: version.id, SecretString: JSON.stringify(version.value) };
    }),
  );
  mock.on(PutSecretValueCommand).callsFake((input) =>
    sm(async () => ({
      VersionId: await memory.putCurrent(input.SecretId, JSON.parse(input.SecretString), {
        requestToken: input.ClientRequestToken,
      }),
    })),
  );
  mock.on(UpdateSecretVersionStageCommand).callsFake((input) =>
    sm(async () => {
      if (input.VersionStage !== AWSCURRENT) throw new Error('fake: only AWSCURRENT moves');
      await memory.revertCurrent(input.SecretId, {
        from: input.RemoveFromVersionId,
        to: input.MoveToVersionId,
      });
      return {};
    }),
  );
  mock.on(DeleteSecretCommand).callsFake((input) =>
    sm(async () => {
      if (input.ForceDeleteWithoutRecovery) await memory.deleteNow(input.SecretId);
      else {
        const listed = await memory.list(input.SecretId, { limit: 1 });
        if (listed.items[0]?.deletionScheduled) {
          throw new InvalidRequestException({ message: 'already scheduled', $metadata: {} });
        }
        await memory.scheduleDeletion(input.SecretId, input.RecoveryWindowInDays ?? 30);
      }
      return {};
    }),
  );
  mock.on(DescribeSecretCommand).callsFake((input) =>
    sm(async () => {
      const listed = (await memory.list(input.SecretId, { limit: 1 })).items[0];
      if (!listed || listed.name !== input.SecretId) throw new SecretNotFoundError();
      return { Name: listed.name, ...(listed.deletionScheduled ? { DeletedDate: new Date() } : {}) };
    }),
  );
  mock.on(RestoreSecretCommand).callsFake((input) =>
    sm(async () => {
      await memory.restore(input.SecretId);
      return {};
    }),
  );
  mock.on(ListSecretsCommand).callsFake((input) =>
    sm(async () => {
      const prefix = input.Filters?.[0]?.Values?.[0] ?? '';
      const page = await memory.list(prefix, {
        limit: input.MaxResults ?? 100,
        cursor: input.NextToken ?? null,
      });
      return {
        SecretList: page.items.map((s) => ({
          Name: s.name,
          CreatedDate: new Date(s.createdAt),
          ...(s.deletionScheduled ? { DeletedDate: new Date() } : {}),
        })),
        ...(page.nextCursor ? { NextToken: page.nextCursor } : {}),
      };
    }),
  );
  return { client, mock, memory };
}
