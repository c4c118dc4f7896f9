import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoCredentialReader } from '../store/dynamo-credential-reader.ts';
import { DynamoCredentialRepository } from '../store/dynamo-credential-repository.ts';
import { awsClientConfig } from './aws-client-config.ts';
import { lambdaSettings, resourceVariable } from './lambda-environment.ts';
import { once } from './once.ts';
import { AwsSettings } from './settings/aws.ts';

/** The DynamoDB client of the container (credentials and, where used, idempotency records share it). */
export const lambdaDynamoClient = once(
  () => new DynamoDBClient(awsClientConfig(lambdaSettings(AwsSettings))),
);

/** The credential repository over a DynamoDB client. */
export function createRepository(client: DynamoDBClient, tableName: string): DynamoCredentialRepository {
  return new DynamoCredentialRepository({
    client: DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }),
    tableName,
  });
}

/**
 * The credentials table of the container (`uses.table`). Marked pure, as `lambdaReader` is, so that a bundle which
 * uses only one of the two drops the other (the read routes carry no write path).
 */
export const lambdaRepository = /* @__PURE__ */ once(() =>
  createRepository(lambdaDynamoClient(), resourceVariable('TABLE_NAME')),
);

/**
 * The credentials table, to read only (`uses.table: 'read'`): the read routes, whose bundles then carry no write
 * path (no report packing, no leases).
 */
export const lambdaReader = /* @__PURE__ */ once(
  () =>
    new DynamoCredentialReader({
      client: DynamoDBDocumentClient.from(lambdaDynamoClient()),
      tableName: resourceVariable('TABLE_NAME'),
    }),
);
