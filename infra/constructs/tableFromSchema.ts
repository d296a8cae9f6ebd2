/**
 * Builds a DynamoDB table from a `TableSchema` in router/config.ts, the same schema the local bootstrap
 * creates its tables from, so a key or index renamed there changes both and the two never disagree.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import type { TableSchema } from '../../router/config.ts';

/** Deployment choices that are not part of the schema. */
export interface SchemaTableOptions {
  /** Refuse `DeleteTable` (prod). */
  readonly deletionProtection: boolean;
  /** Keep the table when the stack is deleted. */
  readonly retain: boolean;
}

/** An on-demand table with point-in-time recovery, the schema's keys, GSIs (projected ALL) and TTL. */
export function tableFromSchema(
  scope: Construct,
  id: string,
  schema: TableSchema,
  options: SchemaTableOptions,
): Table {
  const table = new Table(scope, id, {
    partitionKey: { name: schema.partitionKey, type: AttributeType.STRING },
    ...(schema.sortKey === undefined
      ? {}
      : { sortKey: { name: schema.sortKey, type: AttributeType.STRING } }),
    billingMode: BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: TableEncryption.AWS_MANAGED,
    deletionProtection: options.deletionProtection,
    removalPolicy: options.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    ...(schema.ttlAttribute === undefined ? {} : { timeToLiveAttribute: schema.ttlAttribute }),
  });
  for (const index of schema.indexes) {
    table.addGlobalSecondaryIndex({
      indexName: index.indexName,
      partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
      ...(index.sortKey === undefined
        ? {}
        : { sortKey: { name: index.sortKey, type: AttributeType.STRING } }),
      projectionType: ProjectionType.ALL,
    });
  }
  return table;
}
