import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TABLE_LAYOUT } from '../domain/table-layout.ts';
import type { IdempotencyParts } from '../http/idempotency.ts';
import { loadOrCreateIdempotencyKey } from '../store/idempotency-key.ts';
import { resourceVariable } from './lambda-environment.ts';
import { once } from './once.ts';
import { lambdaDynamoClient } from './table.ts';

/**
 * `Idempotency-Key` records (their own partition of the credentials table) and the HMAC key for request
 * fingerprints, loaded on first use and kept (a failed load is tried again on the next request).
 */
export function createIdempotency(client: DynamoDBClient, tableName: string): IdempotencyParts {
  const documents = DynamoDBDocumentClient.from(client);
  let key: Promise<Uint8Array> | undefined;
  return {
    store: new DynamoDBPersistenceLayer({
      tableName,
      awsSdkV3Client: client,
      keyAttr: TABLE_LAYOUT.partitionKey,
      sortKeyAttr: TABLE_LAYOUT.sortKey,
      staticPkValue: 'IDEMPOTENCY',
      expiryAttr: TABLE_LAYOUT.timeToLiveAttribute,
    }),
    key: () => {
      key ??= loadOrCreateIdempotencyKey(documents, tableName).catch((error: unknown) => {
        key = undefined;
        throw error;
      });
      return key;
    },
  };
}

/** The container's idempotency parts (`uses.idempotency`). */
export const lambdaIdempotency = once(() =>
  createIdempotency(lambdaDynamoClient(), resourceVariable('TABLE_NAME')),
);
