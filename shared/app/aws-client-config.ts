import type { AwsSettings } from './settings/aws.ts';

/** Region and endpoint for AWS SDK clients: the SDK's defaults unless AWS_REGION / AWS_ENDPOINT_URL say more. */
export function awsClientConfig(env: Pick<AwsSettings, 'AWS_REGION' | 'AWS_ENDPOINT_URL'>) {
  return {
    ...(env.AWS_REGION ? { region: env.AWS_REGION } : {}),
    ...(env.AWS_ENDPOINT_URL ? { endpoint: env.AWS_ENDPOINT_URL } : {}),
  };
}
