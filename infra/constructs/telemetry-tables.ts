import { RemovalPolicy } from 'aws-cdk-lib';
import {
  type Attribute,
  AttributeType,
  BillingMode,
  type ITable,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { type KeyAttribute, TABLES, type TableName, type TableSpec } from '../../functions/contract';

function attribute(key: KeyAttribute): Attribute {
  return { name: key.name, type: key.type === 'S' ? AttributeType.STRING : AttributeType.NUMBER };
}

/**
 * One DynamoDB table per entry of `TABLES`: on-demand, point-in-time recovery, AWS-managed KMS encryption, TTL
 * where declared, global secondary indexes as declared, kept when the stack is deleted.
 */
export class TelemetryTables extends Construct {
  public readonly tables: Readonly<Record<TableName, ITable>>;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const entries = (Object.entries(TABLES) as [TableName, TableSpec][]).map(([name, spec]) => {
      const table = new Table(this, name, {
        partitionKey: attribute(spec.partitionKey),
        sortKey: spec.sortKey && attribute(spec.sortKey),
        timeToLiveAttribute: spec.ttlAttribute,
        billingMode: BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        encryption: TableEncryption.AWS_MANAGED,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      for (const index of spec.globalIndexes ?? []) {
        table.addGlobalSecondaryIndex({
          indexName: index.name,
          partitionKey: attribute(index.partitionKey),
          sortKey: index.sortKey && attribute(index.sortKey),
        });
      }
      return [name, table] as const;
    });
    this.tables = Object.fromEntries(entries) as unknown as Record<TableName, ITable>;
  }
}
