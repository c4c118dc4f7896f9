import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { Key } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { CredvalData } from './credval-data.ts';

/**
 * The data stack of `npm run deploy`: one `CredvalData` with the id `Default`, which CDK leaves out of logical IDs,
 * so the key and the table keep the IDs they had when the stack created them itself (test/infra/logical-ids.json).
 */
export class StatefulStack extends Stack {
  readonly data: CredvalData;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    this.data = new CredvalData(this, 'Default');
  }

  get key(): Key {
    return this.data.key;
  }

  get table(): Table {
    return this.data.table;
  }
}
