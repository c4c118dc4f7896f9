import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { TABLE_LAYOUT } from '../shared/domain/table-layout.ts';

/**
 * What must outlive any redeploy: the customer-managed KMS key (secrets and table) and the credentials table.
 * Kept apart from the functions and API so code can be redeployed without touching data.
 */
export class StatefulStack extends Stack {
  readonly key: Key;
  readonly table: Table;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    this.key = new Key(this, 'DataKey', {
      description: 'credval: encrypts stored credential secrets and the credentials table',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // Table (not TableV2): TableV2 with a customer-managed key needs a region-bound stack, and synth is
    // region-agnostic so that it works offline without an account.
    this.table = new Table(this, 'Credentials', {
      partitionKey: { name: TABLE_LAYOUT.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE_LAYOUT.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      timeToLiveAttribute: TABLE_LAYOUT.timeToLiveAttribute,
      // The change feed: every credential write's old and new images, from which the stack's consumer derives
      // history entries and events (docs/architecture.md "Write path").
      stream: StreamViewType.NEW_AND_OLD_IMAGES,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: TABLE_LAYOUT.dueIndex.name,
      partitionKey: { name: TABLE_LAYOUT.dueIndex.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE_LAYOUT.dueIndex.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.INCLUDE,
      nonKeyAttributes: [...TABLE_LAYOUT.dueIndex.projectedAttributes],
    });
  }
}
