// CloudFormation custom resource of the CredentialCheck construct: checks a credential during a deploy, reading
// its secret by ARN. Uses: vendors, and read access to the one secret it is given (infra/credential-check.ts).
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { awsClientConfig } from '../shared/app/aws-client-config.ts';
import { createOutboundClient, meteredChecker } from '../shared/app/checker.ts';
import { makeCredentialCheckHandler } from '../shared/app/handlers/credential-check.ts';
import { lambdaSettings } from '../shared/app/lambda-environment.ts';
import { lambdaObservability } from '../shared/app/observability.ts';
import { AwsSettings } from '../shared/app/settings/aws.ts';
import { CheckSettings } from '../shared/app/settings/check.ts';
import { CredentialCheckResource } from '../shared/service/credential-check-resource.ts';
import { secretsManagerReader } from '../shared/store/secret-reader.ts';

const settings = lambdaSettings(CheckSettings);
const { logger, metrics } = lambdaObservability();
const client = createOutboundClient(settings);

export const handler = makeCredentialCheckHandler({
  resource: new CredentialCheckResource({
    check: meteredChecker(client, metrics, settings.CHECK_DEADLINE),
    readSecret: secretsManagerReader(new SecretsManagerClient(awsClientConfig(lambdaSettings(AwsSettings)))),
  }),
  client,
  logger,
});
