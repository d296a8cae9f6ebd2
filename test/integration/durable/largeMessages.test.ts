/**
 * Messages near the 256 KiB record limit end to end: the router behind the event source mapping on the
 * embedded stack, its executions in DynamoDB with the large values in S3 (`payloads/` in the engines
 * bucket), and steps on the local Lambda host. Such a message's checkpoint holds its input twice (in the
 * context and in the data), more than DynamoDB's 400 KB item limit: it must run, not be quarantined.
 */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { dynamoDbDocumentClient, s3Client } from '../../../router/aws/clients.ts';
import { executionItemKey, itemBytes } from '../../../router/executions/items.ts';
import { contentAddress, parsePayloadUri, refOfAttribute } from '../../../router/executions/payloads.ts';
import { S3PayloadStore } from '../../../router/executions/S3PayloadStore.ts';
import { StepLog } from '../../fixtures/steps/recorder.ts';
import { cloudEvent, sequentialGraph } from '../router/graphs.ts';
import { useRouterStack } from '../support/routerStack.ts';

const KiB = 1024;

const log = new StepLog();
let throttleShip = true;
const runtime = useRouterStack({
  functions: {
    enrich: log.step('enrich', () => ({ enriched: true })),
    ship: log.step('ship', () => {
      if (throttleShip) {
        throttleShip = false;
        throw Object.assign(new Error('Rate exceeded'), { name: 'Lambda.TooManyRequestsException' });
      }
      return { shipped: true };
    }),
  },
  sweepEveryMs: false,
});

/** A CloudEvent for `engine` whose JSON is exactly `bytes` bytes, nearly all of them in `data`. */
function eventOfSize(engine: string, id: string, bytes: number): Record<string, unknown> {
  const base = cloudEvent(engine, id, { blob: '' });
  const event = cloudEvent(engine, id, {
    blob: 'x'.repeat(bytes - Buffer.byteLength(JSON.stringify(base))),
  });
  expect(Buffer.byteLength(JSON.stringify(event))).toBe(bytes);
  return event;
}

/** The execution's item as DynamoDB holds it. */
async function rawItem(engine: string, dedupKey: string): Promise<Record<string, unknown>> {
  const rt = runtime();
  const { Item } = await dynamoDbDocumentClient(rt.stack.aws).send(
    new GetCommand({ TableName: rt.names.executionsTable, Key: executionItemKey({ engine, dedupKey }) }),
  );
  if (Item === undefined) throw new Error(`no item for ${engine} ${dedupKey}`);
  return Item;
}

describe('a 255 KiB CloudEvent on a standard engine', () => {
  it('succeeds with one Task: the output is recorded, its values kept in S3, nothing quarantined', async () => {
    // Prepare
    const rt = runtime();
    await rt.publish({ source: sequentialGraph(['enrich']), file: 'large-one.hjson', engine: 'large-one' });
    const event = eventOfSize('large-one', 'big-1', 255 * KiB);
    // Act
    await rt.put([{ partitionKey: 'big-1', data: event }]);
    await rt.waitForIdle();
    // Assess
    const record = await rt.execution('large-one', 'shop/large-one#big-1');
    expect(record?.status).toBe('SUCCEEDED');
    expect(JSON.parse(record?.output ?? 'null')).toEqual({
      ...(event.data as object),
      enrich: { enriched: true },
    });
    expect(JSON.parse(record?.input ?? 'null')).toEqual(event.data);
    expect(await rt.quarantined()).toEqual([]);
    const item = await rawItem('large-one', 'shop/large-one#big-1');
    expect(itemBytes(item)).toBeLessThan(8 * KiB);
    const output = refOfAttribute(item.output);
    const location = output === undefined ? undefined : parsePayloadUri(output.uri);
    expect(location).toEqual({
      bucket: rt.names.bucket,
      key: `payloads/done/${contentAddress(record?.output ?? '').sha256}`,
    });
    const object = await s3Client(rt.stack.aws).send(
      new GetObjectCommand({ Bucket: rt.names.bucket, Key: location?.key }),
    );
    expect(await object.Body?.transformToString('utf8')).toBe(record?.output);
  });

  it('succeeds with two Tasks, resuming after a throttled step from its checkpoint kept in S3', async () => {
    // Prepare
    const rt = runtime();
    await rt.publish({
      source: sequentialGraph(['enrich', 'ship']),
      file: 'large-two.hjson',
      engine: 'large-two',
    });
    const event = eventOfSize('large-two', 'big-2', 255 * KiB);
    const before = log.calls.length;
    // Act
    await rt.put([{ partitionKey: 'big-2', data: event }]);
    await rt.waitForIdle();
    // Assess: enrich ran once; ship ran twice (throttled, then on the redelivery resumed from the checkpoint)
    expect(log.calls.slice(before).map((call) => call.fn)).toEqual(['enrich', 'ship', 'ship']);
    expect(rt.batches.some((batch) => batch.retried === 1)).toBe(true);
    const record = await rt.execution('large-two', 'shop/large-two#big-2');
    expect(record?.status).toBe('SUCCEEDED');
    expect(JSON.parse(record?.output ?? 'null')).toEqual({
      ...(event.data as object),
      enrich: { enriched: true },
      ship: { shipped: true },
    });
    expect(await rt.quarantined()).toEqual([]);
    expect(rt.survived).toEqual([]);
  });
});

describe('S3PayloadStore', () => {
  it('reads back what it wrote, and refuses an object that is gone or does not hash to its address', async () => {
    // Prepare
    const rt = runtime();
    const s3 = s3Client(rt.stack.aws);
    const payloads = new S3PayloadStore({ s3, bucket: rt.names.bucket });
    const value = jsonTextOf(70 * KiB);
    const ref = await payloads.put(value, 'live');
    const again = await payloads.put(value, 'live');
    const readBack = await payloads.get(ref, 'execution x (e): checkpoint');
    const key = parsePayloadUri(ref.uri)?.key;
    await s3.send(new PutObjectCommand({ Bucket: rt.names.bucket, Key: key, Body: `${value} ` }));
    // Act
    const altered = await payloads.get(ref, 'execution x (e): checkpoint').catch((error: unknown) => error);
    const gone = await payloads
      .get({ uri: `${ref.uri.slice(0, -64)}${'0'.repeat(64)}`, bytes: 1 }, 'execution x (e): input')
      .catch((error: unknown) => error);
    // Assess
    expect(again).toEqual(ref);
    expect(readBack).toBe(value);
    expect(altered).toMatchObject({
      retryable: false,
      message: expect.stringMatching(
        /^execution x \(e\): checkpoint: s3:\/\/\S+ holds \d+ bytes that do not hash to its address$/,
      ),
    });
    expect(gone).toMatchObject({
      retryable: false,
      message: expect.stringMatching(
        /^execution x \(e\): input: reading s3:\/\/\S+ failed: the object is gone/,
      ),
    });
  });
});

function jsonTextOf(bytes: number): string {
  return JSON.stringify({ v: 'v'.repeat(bytes - 8) });
}
