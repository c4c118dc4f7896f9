// Secrets Manager, EventBridge and SQS clients mocked with aws-sdk-client-mock, emulating just enough of each
// service for credval's adapters to work, and counting every call by operation. No request leaves the process.
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { SendMessageBatchCommand, type SendMessageBatchCommandInput, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import type { RevalidationMessage } from '../../shared/domain/events.ts';
import { FAKE_KMS_KEY, fakeKms } from '../../test/helpers/fake-kms.ts';
import type { CallCounter } from './aws-counter.ts';
import { sleep } from './aws-latency.ts';

const REGION = 'eu-west-1';
const CREDENTIALS = { accessKeyId: 'bench', secretAccessKey: 'bench' };
const CURRENT = 'AWSCURRENT';
const PREVIOUS = 'AWSPREVIOUS';

interface Secret {
  versions: Map<string, { value: string; stages: Set<string> }>;
  deletedDate?: Date;
}

const notFound = () =>
  new ResourceNotFoundException({
    message: "Secrets Manager can't find the specified secret.",
    $metadata: {},
  });

/** A Secrets Manager with versions and staging labels (create, get, put, describe, update stage, delete). */
export function fakeSecretsManager(counter: CallCounter): SecretsManagerClient {
  const client = new SecretsManagerClient({ region: REGION, credentials: CREDENTIALS });
  const mock = mockClient(client);
  const secrets = new Map<string, Secret>();
  const live = (id: string | undefined) => {
    const secret = id === undefined ? undefined : secrets.get(id);
    if (!secret || secret.deletedDate) throw notFound();
    return secret;
  };
  /** Moves `stage` to `versionId` (no other version keeps it). */
  const moveStage = (secret: Secret, stage: string, versionId: string | undefined) => {
    for (const v of secret.versions.values()) v.stages.delete(stage);
    if (versionId !== undefined) secret.versions.get(versionId)?.stages.add(stage);
  };
  const arn = (name: string) => `arn:aws:secretsmanager:${REGION}:111111111111:secret:${name}-AbCdEf`;

  mock.on(CreateSecretCommand).callsFake((input) => {
    counter.add('SecretsManager', 'CreateSecret');
    const name = String(input.Name);
    const token = String(input.ClientRequestToken);
    const existing = secrets.get(name);
    if (existing) {
      if (existing.versions.get(token)?.value === input.SecretString) return { Name: name, VersionId: token };
      throw new ResourceExistsException({ message: 'The secret already exists.', $metadata: {} });
    }
    secrets.set(name, {
      versions: new Map([[token, { value: String(input.SecretString), stages: new Set([CURRENT]) }]]),
    });
    return { ARN: arn(name), Name: name, VersionId: token };
  });
  mock.on(GetSecretValueCommand).callsFake((input) => {
    counter.add('SecretsManager', 'GetSecretValue');
    const secret = live(input.SecretId);
    const stage = input.VersionStage ?? CURRENT;
    for (const [id, v] of secret.versions) {
      if (input.VersionId ? id === input.VersionId : v.stages.has(stage)) {
        return { Name: input.SecretId, VersionId: id, SecretString: v.value, VersionStages: [...v.stages] };
      }
    }
    throw notFound();
  });
  mock.on(PutSecretValueCommand).callsFake((input) => {
    counter.add('SecretsManager', 'PutSecretValue');
    const secret = live(input.SecretId);
    const token = String(input.ClientRequestToken);
    const stages = input.VersionStages ?? [CURRENT];
    if (!secret.versions.has(token))
      secret.versions.set(token, { value: String(input.SecretString), stages: new Set() });
    for (const stage of stages) moveStage(secret, stage, token);
    return { Name: input.SecretId, VersionId: token, VersionStages: stages };
  });
  mock.on(DescribeSecretCommand).callsFake((input) => {
    counter.add('SecretsManager', 'DescribeSecret');
    const secret = secrets.get(String(input.SecretId));
    if (!secret) throw notFound();
    return {
      Name: input.SecretId,
      ...(secret.deletedDate ? { DeletedDate: secret.deletedDate } : {}),
      VersionIdsToStages: Object.fromEntries(
        [...secret.versions].filter(([, v]) => v.stages.size > 0).map(([id, v]) => [id, [...v.stages]]),
      ),
    };
  });
  mock.on(UpdateSecretVersionStageCommand).callsFake((input) => {
    counter.add('SecretsManager', 'UpdateSecretVersionStage');
    const secret = live(input.SecretId);
    const stage = String(input.VersionStage);
    if (input.MoveToVersionId !== undefined) {
      // Moving AWSCURRENT labels the version it leaves AWSPREVIOUS.
      const leaving = [...secret.versions].find(([, v]) => v.stages.has(stage))?.[0];
      moveStage(secret, stage, input.MoveToVersionId);
      if (stage === CURRENT && leaving !== undefined && leaving !== input.MoveToVersionId)
        moveStage(secret, PREVIOUS, leaving);
    } else if (input.RemoveFromVersionId !== undefined) {
      secret.versions.get(input.RemoveFromVersionId)?.stages.delete(stage);
    }
    return { Name: input.SecretId };
  });
  mock.on(DeleteSecretCommand).callsFake((input) => {
    counter.add('SecretsManager', 'DeleteSecret');
    const name = String(input.SecretId);
    if (!secrets.has(name)) throw notFound();
    if (input.ForceDeleteWithoutRecovery) secrets.delete(name);
    else (secrets.get(name) as Secret).deletedDate = new Date();
    return { Name: name };
  });
  return client;
}

/** An EventBridge that accepts every entry. */
export function fakeEventBridge(counter: CallCounter): EventBridgeClient {
  const client = new EventBridgeClient({ region: REGION, credentials: CREDENTIALS });
  let next = 0;
  mockClient(client)
    .on(PutEventsCommand)
    .callsFake((input) => {
      counter.add('EventBridge', 'PutEvents');
      return {
        FailedEntryCount: 0,
        Entries: (input.Entries ?? []).map(() => ({ EventId: `event-${next++}` })),
      };
    });
  return client;
}

/**
 * An SQS that accepts every message and keeps them, for the worker to receive. `latencyMs` delays every
 * answer, as a network would (aws-sdk-client-mock replaces the client's send, so no middleware runs here).
 */
export function fakeSqs(
  counter: CallCounter,
  options: { latencyMs?: number } = {},
): { client: SQSClient; received: RevalidationMessage[] } {
  const client = new SQSClient({ region: REGION, credentials: CREDENTIALS });
  const received: RevalidationMessage[] = [];
  const latencyMs = options.latencyMs ?? 0;
  mockClient(client)
    .on(SendMessageBatchCommand)
    .callsFake(async (input: SendMessageBatchCommandInput) => {
      counter.add('SQS', 'SendMessageBatch');
      if (latencyMs > 0) await sleep(latencyMs);
      const entries = input.Entries ?? [];
      for (const e of entries) received.push(JSON.parse(String(e.MessageBody)) as RevalidationMessage);
      return {
        Successful: entries.map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}`, MD5OfMessageBody: 'x' })),
        Failed: [],
      };
    });
  return { client, received };
}

/**
 * KMS GenerateDataKey and Decrypt for the envelope store, really encrypting (test/helpers/fake-kms.ts), each call
 * counted.
 */
export function fakeKmsCounted(counter: CallCounter) {
  return fakeKms(FAKE_KMS_KEY, (operation) => counter.add('KMS', operation));
}
