import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { credentialOfItem } from './dynamo-credential-reader.ts';
import type { CredentialChange } from './ports.ts';

type Image = Record<string, AttributeValue>;

/**
 * The credential change a record of the table's DynamoDB stream (NEW_AND_OLD_IMAGES) carries, or null when the
 * record is about another item (history entries, idempotency records, configuration). A malformed credential
 * image throws, so its record is retried and then set aside rather than silently dropped.
 */
export function credentialChangeOf(record: DynamoDBRecord): CredentialChange | null {
  const image = (value: unknown) => (value ? credentialOfItem(unmarshall(value as Image)) : null);
  const before = image(record.dynamodb?.OldImage);
  const after = image(record.dynamodb?.NewImage);
  return before || after ? { before, after } : null;
}
