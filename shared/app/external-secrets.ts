import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretReader } from '../store/ports.ts';
import { secretsManagerReader } from '../store/secret-reader.ts';
import { awsClientConfig } from './aws-client-config.ts';
import { lambdaSettings } from './lambda-environment.ts';
import { once } from './once.ts';
import { AwsSettings } from './settings/aws.ts';

/**
 * Reads the secrets their owners keep, by ARN (`uses.externalSecrets`): the secrets of credentials a
 * `CredentialCheck` resource registered. Its own Secrets Manager client, whatever the deployment's secret store:
 * the grants come per secret from each construct, never from the stack.
 */
export const lambdaExternalSecrets = once((): SecretReader => {
  // The client is made at the first read of such a secret, not at cold start: most checks never need one.
  const reader = once(() =>
    secretsManagerReader(new SecretsManagerClient(awsClientConfig(lambdaSettings(AwsSettings)))),
  );
  return (arn) => reader()(arn);
});
