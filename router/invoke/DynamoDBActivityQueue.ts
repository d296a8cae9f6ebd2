/**
 * The activity queue in the executions table, beside the executions it serves: one item per waiting
 * task, `pk = ACTIVITY#name`, `sk = TASK#token`, expiring with `expiresAt`. A worker queries the
 * activity's items and takes the oldest with a conditional delete, so two workers never get one task.
 *
 * ```
 * enqueue: Put (pk, sk)  ──  the same token again overwrites itself
 * take:    Query pk (a page) -> oldest first -> Delete if attribute_exists(pk)
 *            deleted: this worker has it    condition failed: another worker took it, try the next
 * ```
 */
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { JsonValue } from '../asl/index.ts';
import type { ActivityQueue, ActivityTask, TakenActivityTask } from './ActivityQueue.ts';

/** Where the queue lives. */
export interface DynamoDBActivityQueueOptions {
  readonly dynamodb: DynamoDBDocumentClient;
  /** The executions table. */
  readonly table: string;
  /** How long a task waits for a worker before it expires (default one year, Step Functions' limit). */
  readonly retentionSeconds?: number;
  readonly now?: () => number;
}

const YEAR_SECONDS = 365 * 24 * 3600;
const PAGE = 25;

function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/** The activity queue of a deployment. */
export class DynamoDBActivityQueue implements ActivityQueue {
  private readonly now: () => number;

  constructor(private readonly options: DynamoDBActivityQueueOptions) {
    this.now = options.now ?? Date.now;
  }

  async enqueue(task: ActivityTask): Promise<void> {
    const enqueuedAt = this.now();
    await this.options.dynamodb.send(
      new PutCommand({
        TableName: this.options.table,
        Item: {
          pk: `ACTIVITY#${task.activity}`,
          sk: `TASK#${task.taskToken}`,
          ...task,
          input: JSON.stringify(task.input),
          enqueuedAt,
          expiresAt: Math.floor(enqueuedAt / 1000) + (this.options.retentionSeconds ?? YEAR_SECONDS),
        },
      }),
    );
  }

  async take(
    activity: string,
    stillWaited?: (task: TakenActivityTask) => Promise<boolean>,
  ): Promise<TakenActivityTask | undefined> {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.options.dynamodb.send(
        new QueryCommand({
          TableName: this.options.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `ACTIVITY#${activity}` },
          ConsistentRead: true,
          Limit: PAGE,
          ...(start === undefined ? {} : { ExclusiveStartKey: start }),
        }),
      );
      const nowSeconds = Math.floor(this.now() / 1000);
      const items = (page.Items ?? [])
        .filter((item) => typeof item.expiresAt !== 'number' || item.expiresAt > nowSeconds)
        .sort((a, b) => Number(a.enqueuedAt) - Number(b.enqueuedAt));
      for (const item of items) {
        try {
          await this.options.dynamodb.send(
            new DeleteCommand({
              TableName: this.options.table,
              Key: { pk: item.pk, sk: item.sk },
              ConditionExpression: 'attribute_exists(pk)',
            }),
          );
        } catch (error) {
          if (isConditionFailure(error)) continue;
          throw error;
        }
        const task: TakenActivityTask = {
          activityArn: String(item.activityArn),
          activity: String(item.activity),
          taskToken: String(item.taskToken),
          input: JSON.parse(String(item.input)) as JsonValue,
          invokeId: String(item.invokeId),
          stateName: String(item.stateName),
          enqueuedAt: Number(item.enqueuedAt),
        };
        if (stillWaited === undefined || (await stillWaited(task))) return task;
      }
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return undefined;
  }
}
