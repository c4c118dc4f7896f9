import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsRevalidationQueue } from '../store/sqs-queue.ts';
import { awsClientConfig } from './aws-client-config.ts';
import type { Environment } from './environment.ts';
import { lambdaEnvironment, resourceVariable } from './lambda-environment.ts';
import { once } from './once.ts';

/** SQS as the revalidation queue. */
export function createRevalidationQueue(env: Environment, queueUrl: string): SqsRevalidationQueue {
  return new SqsRevalidationQueue({ client: new SQSClient(awsClientConfig(env)), queueUrl });
}

/** The container's revalidation queue (`uses.queue`). */
export const lambdaRevalidationQueue = once(() =>
  createRevalidationQueue(lambdaEnvironment(), resourceVariable('QUEUE_URL')),
);
