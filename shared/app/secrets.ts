import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EnvelopeSecretStore } from '../store/envelope-secret-store.ts';
import { KmsDataKeys } from '../store/kms-data-keys.ts';
import type { SecretStore } from '../store/ports.ts';
import { SecretsManagerSecretStore } from '../store/secrets-manager-secret-store.ts';
import { awsClientConfig } from './aws-client-config.ts';
import { lambdaSettings, resourceVariable } from './lambda-environment.ts';
import { once } from './once.ts';
import { AwsSettings } from './settings/aws.ts';
import { lambdaDynamoClient } from './table.ts';

/** Secrets Manager as the secret store; KMS_KEY_ID names the key new secrets are encrypted with. */
export function createSecretStore(env: AwsSettings): SecretsManagerSecretStore {
  return new SecretsManagerSecretStore({
    client: new SecretsManagerClient(awsClientConfig(env)),
    ...(env.KMS_KEY_ID ? { kmsKeyId: env.KMS_KEY_ID } : {}),
  });
}

/**
 * The envelope store (SECRET_STORE=envelope): secrets as items of the credentials table on `client`, each version
 * under a data key from the KMS key KMS_KEY_ID names.
 */
export function createEnvelopeSecretStore(
  env: AwsSettings,
  client: DynamoDBClient,
  tableName: string,
  secretPrefix: string,
): EnvelopeSecretStore {
  if (!env.KMS_KEY_ID) {
    throw new Error(
      'KMS_KEY_ID is not set: SECRET_STORE=envelope encrypts every secret under a data key of that KMS key.',
    );
  }
  return new EnvelopeSecretStore({
    client: DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }),
    tableName,
    keys: new KmsDataKeys({ client: new KMSClient(awsClientConfig(env)), keyId: env.KMS_KEY_ID }),
    secretPrefix,
  });
}

/**
 * The container's secret store (`uses.secrets`). The stack's bundling defines `process.env.SECRET_STORE` as a
 * constant, so each bundle keeps one branch: a Secrets Manager deployment carries neither the KMS client nor the
 * envelope code, and an envelope one no Secrets Manager client.
 */
export const lambdaSecretStore = once((): SecretStore => {
  const env = lambdaSettings(AwsSettings);
  return process.env.SECRET_STORE === 'envelope'
    ? createEnvelopeSecretStore(
        env,
        lambdaDynamoClient(),
        resourceVariable('TABLE_NAME'),
        resourceVariable('SECRET_PREFIX'),
      )
    : createSecretStore(env);
});
