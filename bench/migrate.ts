// Part 9: `credval secrets migrate` from Secrets Manager to the envelope store, one secret at a time and several at
// once (`--concurrency`), with a fixed latency added to every AWS call as a network to AWS would add it. The same
// migrateSecrets the command runs, over the real adapters: Secrets Manager is the tests' stateful fake
// (aws-sdk-client-mock), KMS the test double that really encrypts, DynamoDB dynalite in a child process.
import { performance } from 'node:perf_hooks';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type Credential, FRESH_MONITOR } from '../shared/domain/credential.ts';
import { migrateSecrets } from '../shared/service/migrate-secrets.ts';
import { DynamoCredentialRepository } from '../shared/store/dynamo-credential-repository.ts';
import { EnvelopeSecretStore } from '../shared/store/envelope-secret-store.ts';
import { KmsDataKeys } from '../shared/store/kms-data-keys.ts';
import { createDynamoClient } from '../shared/store/local-dynamo.ts';
import { SecretsManagerSecretStore } from '../shared/store/secrets-manager-secret-store.ts';
import { FAKE_KMS_KEY } from '../test/helpers/fake-kms.ts';
import { fakeSecretsManager } from '../test/helpers/fake-secrets-manager.ts';
import { CallCounter, countDynamoCalls } from './lib/aws-counter.ts';
import { addLatency, sleep } from './lib/aws-latency.ts';
import { SIZES } from './lib/config.ts';
import { batchSeed, credentialItems, documentClientOf, startDynaliteChild } from './lib/dynamo.ts';
import { fakeKmsCounted } from './lib/fake-aws.ts';
import { round, table } from './lib/stats.ts';

const TABLE = 'credval-bench-migrate';
const TENANT = 'tenant-bench';
/** Added to every Secrets Manager, KMS and DynamoDB call. */
export const MIGRATE_LATENCY_MS = 5;
/** The runs: one at a time (before `--concurrency`), and the command's default. */
export const MIGRATE_CONCURRENCY = [1, 8] as const;

export interface MigrateRun {
  concurrency: number;
  secrets: number;
  seconds: number;
  perSecond: number;
  /** A million secrets at this rate. */
  hoursPerMillion: number;
  moved: number;
  failed: number;
  awsCallsPerSecret: number;
}

export interface MigrateBenchResult {
  latencyMs: number;
  runs: MigrateRun[];
}

/** A mocked client's calls, delayed: aws-sdk-client-mock replaces `send`, so no middleware would run. */
function delayed<C extends { send: (...args: never[]) => Promise<unknown> }>(client: C, ms: number): C {
  const send = client.send.bind(client) as (...args: unknown[]) => Promise<unknown>;
  (client as { send: unknown }).send = async (...args: unknown[]) => {
    await sleep(ms);
    return send(...args);
  };
  return client;
}

function credentialOf(prefix: string, index: number): Credential {
  // Ids are request tokens of the first version: 32 to 64 characters, as credval's uuids are.
  const id = `bench-${prefix.replaceAll('/', '-')}-${String(index).padStart(24, '0')}`;
  const now = new Date().toISOString();
  return {
    tenantId: TENANT,
    id,
    connector: 'dolibarr',
    name: `bench ${index}`,
    description: '',
    fields: { baseUrl: 'https://erp.example.com' },
    requirements: [],
    status: 'valid',
    lastCheck: null,
    version: 1,
    createdAt: now,
    updatedAt: now,
    nextCheckAt: null,
    secretName: `${prefix}/${TENANT}/${id}`,
    secretVersion: id,
    monitor: { ...FRESH_MONITOR, lastCheckId: 'v1', lastTrigger: 'create' },
  };
}

export async function benchMigrate(): Promise<MigrateBenchResult> {
  const n = SIZES.migrateSecrets;
  const dynamo = await startDynaliteChild(TABLE);
  const lowLevel: DynamoDBClient = createDynamoClient(dynamo.endpoint);
  const counter = new CallCounter();
  countDynamoCalls(lowLevel, counter);
  addLatency(lowLevel, MIGRATE_LATENCY_MS);
  const documents = documentClientOf(lowLevel);
  // The tests' Secrets Manager (every call the migration makes, with Secrets Manager's version semantics).
  const sm = fakeSecretsManager();
  const secretsManager = new SecretsManagerSecretStore({
    client: delayed(sm.client, MIGRATE_LATENCY_MS),
    kmsKeyId: FAKE_KMS_KEY,
  });
  const envelope = new EnvelopeSecretStore({
    client: documents,
    tableName: TABLE,
    secretPrefix: 'credval',
    keys: new KmsDataKeys({
      client: delayed(fakeKmsCounted(counter).client, MIGRATE_LATENCY_MS),
      keyId: FAKE_KMS_KEY,
    }),
  });
  const repository = new DynamoCredentialRepository({ client: documents, tableName: TABLE });
  const runs: MigrateRun[] = [];
  try {
    for (const concurrency of MIGRATE_CONCURRENCY) {
      // Each run moves its own secrets (its own prefix), seeded as `credval` would have stored them.
      const prefix = `bench/c${concurrency}`;
      const credentials = Array.from({ length: n }, (_, i) => credentialOf(prefix, i));
      const seeder = documentClientOf(createDynamoClient(dynamo.endpoint));
      await batchSeed(seeder, TABLE, await credentialItems(TABLE, credentials));
      let next = 0;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < credentials.length) {
            const credential = credentials[next++] as Credential;
            await secretsManager.create(
              credential.secretName,
              { apiKey: `key-${credential.id}` },
              {
                requestToken: credential.id,
                tags: { tenantId: TENANT, credentialId: credential.id, connector: 'dolibarr' },
              },
            );
          }
        }),
      );
      counter.reset();
      sm.mock.resetHistory();
      const start = performance.now();
      const result = await migrateSecrets({
        source: secretsManager,
        target: envelope,
        repository,
        secretPrefix: prefix,
        recoveryDays: 7,
        concurrency,
      });
      const seconds = (performance.now() - start) / 1000;
      runs.push({
        concurrency,
        secrets: n,
        seconds: round(seconds, 2),
        perSecond: round(n / seconds, 1),
        hoursPerMillion: round(1_000_000 / (n / seconds) / 3600, 1),
        moved: result.outcomes.moved,
        failed: result.outcomes.failed + result.outcomes.unsettled + result.unreadable,
        awsCallsPerSecret: round((counter.total + sm.mock.calls().length) / n, 1),
      });
    }
    return { latencyMs: MIGRATE_LATENCY_MS, runs };
  } finally {
    lowLevel.destroy();
    await dynamo.stop();
  }
}

export function printMigrate(r: MigrateBenchResult): string {
  return [
    `credval secrets migrate, Secrets Manager -> envelope, +${r.latencyMs} ms on every AWS call`,
    table(
      [
        'concurrency',
        'secrets',
        'seconds',
        'secrets/s',
        'a million: hours',
        'moved',
        'not moved',
        'AWS calls/secret',
      ],
      r.runs.map((run) => [
        run.concurrency,
        run.secrets,
        run.seconds,
        run.perSecond,
        run.hoursPerMillion,
        run.moved,
        run.failed,
        run.awsCallsPerSecret,
      ]),
    ),
  ].join('\n');
}
