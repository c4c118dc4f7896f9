// CloudFormation custom resource of the CredentialCheck construct: checks a credential during a deploy, reading
// its secret by ARN, and registers it with a credval deployment when asked. Uses: vendors, read access to the one
// secret it is given, DescribeStacks on its own stack, and Invoke on the register function (infra/credential-check.ts).
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { awsClientConfig } from '../shared/app/aws-client-config.ts';
import { createOutboundClient, meteredChecker } from '../shared/app/checker.ts';
import { makeCredentialCheckHandler } from '../shared/app/handlers/credential-check.ts';
import { lambdaSettings } from '../shared/app/lambda-environment.ts';
import { lambdaObservability } from '../shared/app/observability.ts';
import { AwsSettings } from '../shared/app/settings/aws.ts';
import { CheckSettings } from '../shared/app/settings/check.ts';
import { CredentialCheckResource } from '../shared/service/credential-check-resource.ts';
import { lambdaRegistrar } from '../shared/store/registrar.ts';
import { secretsManagerReader } from '../shared/store/secret-reader.ts';
import { cloudFormationStackStatus } from '../shared/store/stack-status.ts';

const settings = lambdaSettings(CheckSettings);
const { logger, metrics } = lambdaObservability();
const client = createOutboundClient(settings);
const aws = awsClientConfig(lambdaSettings(AwsSettings));

export const handler = makeCredentialCheckHandler({
  resource: new CredentialCheckResource({
    check: meteredChecker(client, metrics, settings.CHECK_DEADLINE),
    readSecret: secretsManagerReader(new SecretsManagerClient(aws)),
    register: lambdaRegistrar(new LambdaClient(aws)),
    stackStatus: cloudFormationStackStatus(new CloudFormationClient(aws)),
  }),
  client,
  logger,
});
