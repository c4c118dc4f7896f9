import * as z from '../../domain/zod.ts';
import { optionalText, url } from './fields.ts';

/** Where AWS resources are; names of resources come with their grant (shared/app/lambda-environment.ts). */
export const AwsSettings = z.object({
  STORAGE: z._default(z.enum(['local', 'aws']), 'local'),
  TABLE_NAME: z._default(z.string().check(z.minLength(3)), 'credval-credentials'),
  KMS_KEY_ID: optionalText(),
  /**
   * Where secrets live: `secretsmanager` (one secret per credential; with STORAGE=local the encrypted file store
   * stands in for it) or `envelope` (encrypted under KMS data keys, kept in the table; locally a key file stands in
   * for KMS). README "Configuration".
   */
  SECRET_STORE: z._default(z.enum(['secretsmanager', 'envelope']), 'secretsmanager'),
  /** Revalidation queue (SQS URL) and event bus (EventBridge name), on AWS. */
  QUEUE_URL: url(),
  EVENT_BUS_NAME: optionalText(),
  AWS_REGION: optionalText(),
  AWS_ENDPOINT_URL: url(),
});
export type AwsSettings = z.output<typeof AwsSettings>;
