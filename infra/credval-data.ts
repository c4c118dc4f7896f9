import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  type ITable,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { type IKey, Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { TABLE_LAYOUT } from '../shared/domain/table-layout.ts';

/**
 * The data a `Credval` works on: the credentials table (with its stream and due index, encrypted with the key) and
 * the key that encrypts it and the secrets. `CredvalData` is one; the stateless stack passes the stateful stack's.
 */
export interface ICredvalData {
  readonly table: ITable;
  readonly key: IKey;
}

/**
 * What must outlive any redeploy: the customer-managed KMS key (secrets and table) and the credentials table, both
 * retained when removed from the app or when their stack is deleted. Kept apart from `Credval` so that code can be
 * redeployed (or its stack destroyed) without touching data.
 */
export class CredvalData extends Construct implements ICredvalData {
  readonly key: Key;
  readonly table: Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);

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
      // The change feed: every credential write's old and new images, from which the consumer in `Credval`
      // derives history entries and events (docs/architecture.md "Write path").
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
