import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { TABLE_LAYOUT } from '../domain/table-layout.ts';
import { resourceVariable } from './lambda-environment.ts';
import { once } from './once.ts';
import { lambdaDynamoClient } from './table.ts';

/** The `Idempotency-Key` records, in the credentials table (their own partition). */
export function createIdempotencyStore(client: DynamoDBClient, tableName: string): BasePersistenceLayer {
  return new DynamoDBPersistenceLayer({
    tableName,
    awsSdkV3Client: client,
    keyAttr: TABLE_LAYOUT.partitionKey,
    sortKeyAttr: TABLE_LAYOUT.sortKey,
    staticPkValue: 'IDEMPOTENCY',
    expiryAttr: TABLE_LAYOUT.timeToLiveAttribute,
  });
}

/** The container's idempotency store (`uses.idempotency`). */
export const lambdaIdempotencyStore = once(() =>
  createIdempotencyStore(lambdaDynamoClient(), resourceVariable('TABLE_NAME')),
);
