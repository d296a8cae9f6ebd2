import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoDBActivityQueue } from '../../../router/invoke/DynamoDBActivityQueue.ts';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

/** A table of items behind the document client's `send`: Put, Query on pk, conditional Delete. */
function table() {
  const items = new Map<string, Record<string, unknown>>();
  const key = (pk: unknown, sk: unknown) => `${String(pk)}|${String(sk)}`;
  const send = async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
    const input = command.input;
    switch (command.constructor.name) {
      case 'PutCommand': {
        const item = input.Item as Record<string, unknown>;
        items.set(key(item.pk, item.sk), item);
        return {};
      }
      case 'QueryCommand': {
        const pk = (input.ExpressionAttributeValues as Record<string, unknown>)[':pk'];
        return { Items: [...items.values()].filter((item) => item.pk === pk) };
      }
      case 'DeleteCommand': {
        const k = input.Key as Record<string, unknown>;
        if (!items.delete(key(k.pk, k.sk))) {
          throw Object.assign(new Error('The conditional request failed'), {
            name: 'ConditionalCheckFailedException',
          });
        }
        return {};
      }
      default:
        throw new Error(`unexpected ${command.constructor.name}`);
    }
  };
  return { items, client: { send } as unknown as DynamoDBDocumentClient };
}

const task = (token: string, input: number) => ({
  activityArn: 'arn:aws:states:us-east-1:1:activity:approve',
  activity: 'approve',
  taskToken: token,
  input: { n: input },
  invokeId: `Approve#${input}.0`,
  stateName: 'Approve',
});

describe('DynamoDBActivityQueue', () => {
  it('gives the oldest task once, keeps one item per token, and skips tasks no execution waits for', async () => {
    // Prepare
    let now = T0;
    const { items, client } = table();
    const queue = new DynamoDBActivityQueue({ dynamodb: client, table: 'executions', now: () => now });
    await queue.enqueue(task('b.mac', 2));
    now += 1_000;
    await queue.enqueue(task('c.mac', 3));
    await queue.enqueue(task('c.mac', 3));
    now -= 5_000;
    await queue.enqueue(task('a.mac', 1));

    // Act
    const first = await queue.take('approve', async (t) => t.taskToken !== 'a.mac');
    const second = await queue.take('approve');
    const none = await queue.take('approve');

    // Assess: 'a' was oldest but no longer waited for, so it was dropped; then b, then c.
    expect(first).toMatchObject({ taskToken: 'b.mac', input: { n: 2 }, enqueuedAt: T0 });
    expect(second).toMatchObject({ taskToken: 'c.mac', input: { n: 3 } });
    expect(none).toBeUndefined();
    expect(items.size).toBe(0);
  });
});
