/**
 * Checkpoints in the ESM table (`ESM_TABLE_SCHEMA`): one item per shard, so a mapping restarted in
 * another process, or after the whole local stack restarted with its data, resumes where it stopped.
 */
import { CreateTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { TableSchema } from '../../router/config.ts';
import type { CheckpointStore } from './CheckpointStore.ts';

/** Item attribute holding the last sequence number done. */
const SEQUENCE_ATTRIBUTE = 'sequenceNumber';

/** {@link CheckpointStore} over DynamoDB, keyed by the table's partition key. */
export class DynamoDBCheckpointStore implements CheckpointStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(client: DynamoDBDocumentClient, table: string) {
    this.#client = client;
    this.#table = table;
  }

  async get(key: string): Promise<string | undefined> {
    const { Item } = await this.#client.send(
      new GetCommand({
        TableName: this.#table,
        Key: { [ESM_TABLE_SCHEMA.partitionKey]: key },
        ConsistentRead: true,
      }),
    );
    const value: unknown = Item?.[SEQUENCE_ATTRIBUTE];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || !/^\d+$/.test(value)) {
      throw new TypeError(
        `checkpoint table ${this.#table}, item ${key}: ${SEQUENCE_ATTRIBUTE} is not a sequence number (${JSON.stringify(value)})`,
      );
    }
    return value;
  }

  async put(key: string, sequenceNumber: string): Promise<void> {
    await this.#client.send(
      new PutCommand({
        TableName: this.#table,
        Item: {
          [ESM_TABLE_SCHEMA.partitionKey]: key,
          [SEQUENCE_ATTRIBUTE]: sequenceNumber,
          updatedAt: new Date().toISOString(),
        },
      }),
    );
  }

  /**
   * Creates the table when it does not exist; a no-op otherwise, and safe when two mappings race to
   * create it. The bootstrap creates it too; this keeps a mapping usable on a bare stack.
   */
  async ensureTable(): Promise<void> {
    try {
      await this.#client.send(new DescribeTableCommand({ TableName: this.#table }));
      return;
    } catch (error) {
      if (!(error instanceof Error && error.name === 'ResourceNotFoundException')) throw error;
    }
    try {
      await this.#client.send(
        new CreateTableCommand({
          TableName: this.#table,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: ESM_TABLE_SCHEMA.partitionKey, AttributeType: 'S' }],
          KeySchema: [{ AttributeName: ESM_TABLE_SCHEMA.partitionKey, KeyType: 'HASH' }],
        }),
      );
    } catch (error) {
      if (!(error instanceof Error && error.name === 'ResourceInUseException')) throw error;
    }
    await this.#waitUntilActive();
  }

  async #waitUntilActive(): Promise<void> {
    for (let attempt = 0; attempt < 100; attempt += 1) {
      const { Table } = await this.#client.send(new DescribeTableCommand({ TableName: this.#table }));
      if (Table?.TableStatus === 'ACTIVE') return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`checkpoint table ${this.#table}: not ACTIVE after 5 s`);
  }
}

/** ESM emulator checkpoints: pk = `stream#consumer#shardId`, holding the last checkpointed sequence number. */
export const ESM_TABLE_SCHEMA: TableSchema = {
  partitionKey: 'pk',
  indexes: [],
};
