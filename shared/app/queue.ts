import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsRevalidationQueue } from '../store/sqs-queue.ts';
import { awsClientConfig } from './aws-client-config.ts';
import { lambdaSettings, resourceVariable } from './lambda-environment.ts';
import { once } from './once.ts';
import { AwsSettings } from './settings/aws.ts';

/** SQS as the revalidation queue. */
export function createRevalidationQueue(env: AwsSettings, queueUrl: string): SqsRevalidationQueue {
  return new SqsRevalidationQueue({ client: new SQSClient(awsClientConfig(env)), queueUrl });
}

/** The container's revalidation queue (`uses.queue`). */
export const lambdaRevalidationQueue = once(() =>
  createRevalidationQueue(lambdaSettings(AwsSettings), resourceVariable('QUEUE_URL')),
);
