import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { IdempotencyParts } from '../http/idempotency.ts';
import { EnvelopeSecretStore } from '../store/envelope-secret-store.ts';
import { LocalDataKeys } from '../store/local-data-keys.ts';
import { createDynamoClient, ensureCredentialsTable, startLocalDynamo } from '../store/local-dynamo.ts';
import { LocalFileSecretStore } from '../store/local-file-secret-store.ts';
import type { CredentialRepository, SecretStore } from '../store/ports.ts';
import { awsClientConfig } from './aws-client-config.ts';
import type { Environment } from './environment.ts';
import { createIdempotency } from './idempotency.ts';
import { createEnvelopeSecretStore, createSecretStore } from './secrets.ts';
import { createRepository } from './table.ts';

/** Which secret store: SECRET_STORE's values. */
export type SecretStoreKind = Environment['SECRET_STORE'];

/** Where the local server and the CLI keep credentials: the table and a secret store of either kind. */
export interface Storage {
  repository: CredentialRepository;
  /** The store SECRET_STORE names. */
  secrets: SecretStore;
  /** A store of the kind given, on the same table and data dir (moving secrets between stores). */
  secretStore(kind: SecretStoreKind): SecretStore;
  idempotency: IdempotencyParts;
  close(): Promise<void>;
}

/**
 * Opens the storage of the local server and the CLI (README "Configuration"). STORAGE=local: dynalite on disk
 * under the data dir, secrets in the encrypted file store (`secretsmanager`, its stand-in) or as envelope items
 * in the table with a key file in the data dir standing in for KMS (`envelope`). STORAGE=aws: DynamoDB, and
 * Secrets Manager or KMS, with the SDK's default credentials.
 */
export async function openStorage(env: Environment, dataDir: string): Promise<Storage> {
  if (env.STORAGE === 'aws') {
    const client = new DynamoDBClient(awsClientConfig(env));
    const stores = memo((kind) =>
      kind === 'envelope'
        ? createEnvelopeSecretStore(env, client, env.TABLE_NAME, env.SECRET_PREFIX)
        : createSecretStore(env),
    );
    return {
      repository: createRepository(client, env.TABLE_NAME),
      secrets: stores(env.SECRET_STORE),
      secretStore: stores,
      idempotency: createIdempotency(client, env.TABLE_NAME),
      close: async () => client.destroy(),
    };
  }
  const dynamo = await startLocalDynamo({ path: join(dataDir, 'dynamodb') });
  const client = createDynamoClient(dynamo.endpoint);
  await ensureCredentialsTable(client, env.TABLE_NAME);
  const stores = memo((kind) =>
    kind === 'envelope'
      ? new EnvelopeSecretStore({
          client: DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }),
          tableName: env.TABLE_NAME,
          keys: new LocalDataKeys({ dir: dataDir }),
          secretPrefix: env.SECRET_PREFIX,
        })
      : new LocalFileSecretStore({ dir: join(dataDir, 'secrets') }),
  );
  return {
    repository: createRepository(client, env.TABLE_NAME),
    secrets: stores(env.SECRET_STORE),
    secretStore: stores,
    idempotency: createIdempotency(client, env.TABLE_NAME),
    close: async () => {
      client.destroy();
      await dynamo.close();
    },
  };
}

function memo(build: (kind: SecretStoreKind) => SecretStore): (kind: SecretStoreKind) => SecretStore {
  const built = new Map<SecretStoreKind, SecretStore>();
  return (kind) => {
    const store = built.get(kind) ?? build(kind);
    built.set(kind, store);
    return store;
  };
}
