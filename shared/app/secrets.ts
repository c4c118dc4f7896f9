import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsManagerSecretStore } from '../store/secrets-manager-secret-store.ts';
import { awsClientConfig } from './aws-client-config.ts';
import { lambdaSettings } from './lambda-environment.ts';
import { once } from './once.ts';
import { AwsSettings } from './settings/aws.ts';

/** Secrets Manager as the secret store; KMS_KEY_ID names the key new secrets are encrypted with. */
export function createSecretStore(env: AwsSettings): SecretsManagerSecretStore {
  return new SecretsManagerSecretStore({
    client: new SecretsManagerClient(awsClientConfig(env)),
    ...(env.KMS_KEY_ID ? { kmsKeyId: env.KMS_KEY_ID } : {}),
  });
}

/** The container's secret store (`uses.secrets`). */
export const lambdaSecretStore = once(() => createSecretStore(lambdaSettings(AwsSettings)));
