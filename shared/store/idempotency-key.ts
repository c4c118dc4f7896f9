import { randomBytes } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { StorageError } from '../domain/errors.ts';
import { TABLE_LAYOUT } from '../domain/table-layout.ts';

const KEY_ITEM = { [TABLE_LAYOUT.partitionKey]: 'CONFIG', [TABLE_LAYOUT.sortKey]: 'idempotency-hmac-key' };
const KEY_BYTES = 32;

/**
 * The deployment's key for `Idempotency-Key` fingerprints (an HMAC of the request body, which holds a secret):
 * 32 random bytes kept in the credentials table, which its KMS key encrypts at rest. Made on first use by
 * whichever container gets there first (a conditional write), then only read, once per container.
 */
export async function loadOrCreateIdempotencyKey(
  client: DynamoDBDocumentClient,
  tableName: string,
): Promise<Buffer> {
  const read = async () => {
    const { Item } = await client.send(
      new GetCommand({ TableName: tableName, Key: KEY_ITEM, ConsistentRead: true }),
    );
    return typeof Item?.key === 'string' ? Buffer.from(Item.key, 'base64') : null;
  };
  try {
    const existing = await read();
    if (existing?.length === KEY_BYTES) return existing;
    const key = randomBytes(KEY_BYTES);
    try {
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: { ...KEY_ITEM, kind: 'config', key: key.toString('base64') },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': TABLE_LAYOUT.partitionKey },
        }),
      );
      return key;
    } catch (error) {
      // Another container made it first: use theirs.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const theirs = await read();
      if (theirs?.length !== KEY_BYTES) throw new StorageError('The idempotency key item is malformed.');
      return theirs;
    }
  } catch (error) {
    if (error instanceof StorageError) throw error;
    throw new StorageError('Could not read the idempotency key.', { cause: error });
  }
}
