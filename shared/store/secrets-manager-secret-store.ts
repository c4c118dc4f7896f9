import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  type DescribeSecretCommandOutput,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import type { Page } from '../domain/credential.ts';
import { ConflictError, SecretNotFoundError, StorageError } from '../domain/errors.ts';
import * as z from '../domain/zod.ts';
import { AWSCURRENT, AWSPREVIOUS, checkRecoveryWindow, checkRequestToken } from './memory-secret-store.ts';
import type {
  SecretStore,
  SecretSummary,
  SecretTags,
  SecretValue,
  SecretVersion,
  SecretVersions,
} from './ports.ts';

/** Built on first use, not at import, so that a bundle which never uses this store drops all of it. */
const storedValue = () => z.record(z.string(), z.string());

/** Tag keys put on every secret (README "Security model"). */
export const SECRET_TAG_KEYS = {
  tenant: 'credval:tenant',
  credential: 'credval:credential',
  connector: 'credval:connector',
} as const;

type ErrorMap = Partial<Record<string, () => Error>>;

/** The error's name (the AWS error code for SDK errors), never its message. */
function awsErrorName(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'name' in error && typeof error.name === 'string') {
    return error.name;
  }
  return 'UnknownError';
}

function missing(): SecretNotFoundError {
  return new SecretNotFoundError('The stored secret is missing or scheduled for deletion.');
}

/**
 * Translates an SDK error: ResourceNotFoundException is SecretNotFoundError, `special` maps other codes, and
 * anything else is a StorageError naming the operation and the error code. Messages never include the request,
 * so a secret value cannot leak into them (the SDK error stays available as `cause`).
 */
function translate(operation: string, error: unknown, special: ErrorMap = {}): Error {
  const name = awsErrorName(error);
  const mapped = special[name];
  if (mapped) return mapped();
  if (name === 'ResourceNotFoundException') return missing();
  return new StorageError(`Secrets Manager ${operation} failed (${name}).`, { cause: error });
}

/** Marks an error that means "nothing to do" inside `call`. */
class NothingToUndo extends Error {}

/** A secret marked for deletion cannot be read or changed: Secrets Manager answers InvalidRequestException. */
const markedForDeletion: ErrorMap = { InvalidRequestException: missing };

/**
 * SecretStore on AWS Secrets Manager: one secret per credential, its value one JSON object
 * string, encrypted with `kmsKeyId` when given (else the account's `aws/secretsmanager` key), tagged with tenant,
 * credential and connector. Request tokens are Secrets Manager's ClientRequestToken, which is also the version id.
 */
export class SecretsManagerSecretStore implements SecretStore {
  private readonly client: SecretsManagerClient;
  private readonly kmsKeyId: string | undefined;

  constructor(options: { client: SecretsManagerClient; kmsKeyId?: string }) {
    this.client = options.client;
    this.kmsKeyId = options.kmsKeyId;
  }

  async create(
    name: string,
    value: SecretValue,
    options: { requestToken: string; tags: SecretTags },
  ): Promise<void> {
    checkRequestToken(options.requestToken);
    const command = new CreateSecretCommand({
      Name: name,
      Description: 'credval credential',
      SecretString: JSON.stringify(value),
      ...(this.kmsKeyId === undefined ? {} : { KmsKeyId: this.kmsKeyId }),
      ClientRequestToken: options.requestToken,
      Tags: [
        { Key: SECRET_TAG_KEYS.tenant, Value: options.tags.tenantId },
        { Key: SECRET_TAG_KEYS.credential, Value: options.tags.credentialId },
        { Key: SECRET_TAG_KEYS.connector, Value: options.tags.connector },
      ],
    });
    await this.call('CreateSecret', () => this.client.send(command), {
      // Another token for an existing name, or the same token with another value.
      ResourceExistsException: () => new ConflictError('A secret with this name already exists.'),
      InvalidRequestException: () =>
        new ConflictError('A secret with this name exists or is scheduled for deletion.'),
    });
  }

  async getCurrent(name: string): Promise<SecretValue> {
    return (await this.getVersion(name, AWSCURRENT)).value;
  }

  async getVersions(name: string): Promise<SecretVersions> {
    const current = await this.getVersion(name, AWSCURRENT);
    // A secret that was never rotated has no AWSPREVIOUS: Secrets Manager answers ResourceNotFoundException.
    const previous = await this.getVersion(name, AWSPREVIOUS).catch((error: unknown) => {
      if (error instanceof SecretNotFoundError) return null;
      throw error;
    });
    if (!current.id || previous?.id === '') throw new StorageError('Secrets Manager named no version id.');
    return { current, previous };
  }

  /** The version that holds `stage`, with its id. */
  private async getVersion(name: string, stage: string): Promise<SecretVersion> {
    const output = await this.call(
      'GetSecretValue',
      () => this.client.send(new GetSecretValueCommand({ SecretId: name, VersionStage: stage })),
      markedForDeletion,
    );
    // No cause: JSON.parse's message quotes the text it could not parse, which is the secret.
    const unreadable = () => new StorageError('The stored secret is not a JSON object of strings.');
    if (typeof output.SecretString !== 'string') throw unreadable();
    let parsed: unknown;
    try {
      parsed = JSON.parse(output.SecretString);
    } catch {
      throw unreadable();
    }
    const result = storedValue().safeParse(parsed);
    if (!result.success) throw unreadable();
    // Secrets Manager always names the version; only getVersions needs it.
    return { id: output.VersionId ?? '', value: result.data };
  }

  async putCurrent(name: string, value: SecretValue, options: { requestToken: string }): Promise<string> {
    checkRequestToken(options.requestToken);
    // Without VersionStages, Secrets Manager labels the new version AWSCURRENT and the old one AWSPREVIOUS.
    const command = new PutSecretValueCommand({
      SecretId: name,
      SecretString: JSON.stringify(value),
      ClientRequestToken: options.requestToken,
    });
    const output = await this.call('PutSecretValue', () => this.client.send(command), {
      ...markedForDeletion,
      ResourceExistsException: () =>
        new ConflictError('This request token was already used for a different secret value.'),
    });
    // Secrets Manager uses the ClientRequestToken as the version id.
    return output.VersionId ?? options.requestToken;
  }

  async revertCurrent(name: string, versions: { from: string; to: string }): Promise<void> {
    if (versions.from === versions.to) return;
    await this.call(
      'UpdateSecretVersionStage',
      () =>
        this.client.send(
          new UpdateSecretVersionStageCommand({
            SecretId: name,
            VersionStage: AWSCURRENT,
            RemoveFromVersionId: versions.from,
            MoveToVersionId: versions.to,
          }),
        ),
      {
        ...markedForDeletion,
        // `from` no longer holds AWSCURRENT: someone moved the label since, so there is nothing of ours to undo.
        InvalidParameterException: () => new NothingToUndo(),
      },
    ).catch((error: unknown) => {
      if (!(error instanceof NothingToUndo)) throw error;
    });
  }

  async scheduleDeletion(name: string, recoveryWindowDays: number): Promise<void> {
    checkRecoveryWindow(recoveryWindowDays);
    try {
      await this.client.send(
        new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: recoveryWindowDays }),
      );
    } catch (error) {
      // A retry after the deletion was scheduled: Secrets Manager refuses with InvalidRequestException.
      if (awsErrorName(error) === 'InvalidRequestException') {
        const scheduled = await this.describe(name).then(
          (d) => d.DeletedDate !== undefined,
          () => false,
        );
        if (scheduled) return;
      }
      throw translate('DeleteSecret', error);
    }
  }

  async restore(name: string): Promise<void> {
    await this.call('RestoreSecret', () => this.client.send(new RestoreSecretCommand({ SecretId: name })));
  }

  async deleteNow(name: string): Promise<void> {
    try {
      await this.client.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }));
    } catch (error) {
      if (awsErrorName(error) === 'ResourceNotFoundException') return;
      throw translate('DeleteSecret', error);
    }
  }

  async list(
    prefix: string,
    options: { limit: number; cursor?: string | null },
  ): Promise<Page<SecretSummary>> {
    const output = await this.call('ListSecrets', () =>
      this.client.send(
        new ListSecretsCommand({
          // The `name` filter matches names that start with the value.
          Filters: [{ Key: 'name', Values: [prefix] }],
          IncludePlannedDeletion: true,
          MaxResults: Math.min(100, options.limit),
          ...(options.cursor ? { NextToken: options.cursor } : {}),
        }),
      ),
    );
    const items = (output.SecretList ?? [])
      .filter((entry) => entry.Name?.startsWith(prefix))
      .map((entry) => ({
        name: entry.Name as string,
        createdAt: (entry.CreatedDate ?? new Date(0)).toISOString(),
        deletionScheduled: entry.DeletedDate !== undefined,
      }));
    return { items, nextCursor: output.NextToken ?? null };
  }

  private describe(name: string): Promise<DescribeSecretCommandOutput> {
    return this.call('DescribeSecret', () => this.client.send(new DescribeSecretCommand({ SecretId: name })));
  }

  private async call<T>(operation: string, run: () => Promise<T>, special?: ErrorMap): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw translate(operation, error, special);
    }
  }
}
