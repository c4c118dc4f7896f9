import * as z from '../../domain/zod.ts';
import { optionalText, url } from './fields.ts';

/** Where AWS resources are; names of resources come with their grant (shared/app/lambda-environment.ts). */
export const AwsSettings = z.object({
  STORAGE: z._default(z.enum(['local', 'aws']), 'local'),
  TABLE_NAME: z._default(z.string().check(z.minLength(3)), 'credval-credentials'),
  KMS_KEY_ID: optionalText(),
  /** Revalidation queue (SQS URL) and event bus (EventBridge name), on AWS. */
  QUEUE_URL: url(),
  EVENT_BUS_NAME: optionalText(),
  AWS_REGION: optionalText(),
  AWS_ENDPOINT_URL: url(),
});
export type AwsSettings = z.output<typeof AwsSettings>;
