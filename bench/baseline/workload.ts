/**
 * The work both sides of the router benchmark do, defined once so the comparison is like for like: three
 * small in-process steps (validate, price, summarise an order) and batches of ~1 KiB CloudEvents spread
 * over many partition keys, in the exact shape Lambda delivers them.
 */
import type { KinesisStreamEvent } from 'aws-lambda';
import type { JsonObject, JsonValue } from '../../router/asl/index.ts';
import { isJsonObject } from '../../router/asl/index.ts';
import { kinesisEventFactory, kinesisRecordFactory } from '../../test/support/records.ts';

/** Records in one measured batch. */
export const BATCH_RECORDS = 10_000;
/** Distinct partition keys in a measured batch. */
export const PARTITION_KEYS = 1_000;
/** The engine the router side publishes the 3-Task graph as. */
export const ENGINE = 'orders';

/** One step: a state in, a result out (what a Task's ResultPath stores under the step's name). */
export type Step = (input: JsonValue) => JsonValue;

function objectOf(input: JsonValue, step: string): JsonObject {
  if (!isJsonObject(input)) throw new TypeError(`${step}: expected an object as input, got ${typeof input}`);
  return input;
}

function itemsOf(order: JsonObject, step: string): JsonObject[] {
  const items = order.items;
  if (!Array.isArray(items)) throw new TypeError(`${step}: field 'items' is not an array`);
  return items.filter(isJsonObject);
}

/** The three steps, in order; the name is also the Lambda function name the graph's Tasks call. */
export const STEPS: ReadonlyArray<readonly [name: string, step: Step]> = [
  [
    'step1',
    (input) => {
      const order = objectOf(input, 'step1');
      return { valid: typeof order.orderId === 'string', items: itemsOf(order, 'step1').length };
    },
  ],
  [
    'step2',
    (input) => {
      let total = 0;
      for (const item of itemsOf(objectOf(input, 'step2'), 'step2')) {
        total += Number(item.qty) * Number(item.price);
      }
      return { total: Math.round(total * 100) / 100 };
    },
  ],
  [
    'step3',
    (input) => {
      const order = objectOf(input, 'step3');
      const priced = order.step2;
      const total = isJsonObject(priced) ? priced.total : null;
      return `${String(order.orderId)}:${String(order.customer)}:${String(total)}`;
    },
  ],
];

/**
 * Runs the steps in order over an event's data, each result stored under the step's name as a Task's
 * ResultPath would: the work itself, the same on every side of the benchmark.
 */
export function runSteps(
  steps: ReadonlyArray<readonly [name: string, step: Step]>,
  data: JsonValue | undefined,
): JsonObject {
  let state: JsonObject = data !== undefined && isJsonObject(data) ? data : {};
  for (const [name, step] of steps) state = { ...state, [name]: step(state) };
  return state;
}

/** The steps by name, as `createLocalInvoker` binds them. */
export function stepsByName(): Record<string, Step> {
  return Object.fromEntries(STEPS);
}

/** Options of {@link orderBatch}. */
export interface OrderBatchOptions {
  /** Records in the batch. */
  readonly records: number;
  /** Distinct partition keys, used round robin. */
  readonly partitionKeys: number;
  /** Makes event ids unique across batches (the dedup key is source + id). */
  readonly run: string;
  /** Target size of each record's data in bytes. Default 1024. */
  readonly bytes?: number;
  /** CloudEvents `engine` attribute (route straight to an engine). */
  readonly engine?: string;
}

/** A Kinesis batch of order CloudEvents, each padded to about `bytes` bytes of JSON. */
export function orderBatch(options: OrderBatchOptions): KinesisStreamEvent {
  const target = options.bytes ?? 1024;
  const records = [];
  for (let i = 0; i < options.records; i++) {
    const event: Record<string, unknown> = {
      specversion: '1.0',
      id: `${options.run}-${i}`,
      source: 'bench/orders',
      type: 'order.created',
      time: '2026-01-01T00:00:00Z',
      ...(options.engine === undefined ? {} : { engine: options.engine }),
      data: {
        orderId: `order-${i}`,
        customer: `customer-${i % 997}`,
        items: Array.from({ length: 8 }, (_, n) => ({ sku: `sku-${n}`, qty: 1 + (n % 3), price: 9.99 + n })),
        note: '',
      },
    };
    const size = Buffer.byteLength(JSON.stringify(event));
    const data = event.data as { note: string };
    data.note = 'x'.repeat(Math.max(0, target - size));
    records.push(kinesisRecordFactory(event, { partitionKey: `customer-${i % options.partitionKeys}` }));
  }
  return kinesisEventFactory(records);
}
