/**
 * What the demo sends to each shipped engine: CloudEvents shaped as each engine's graph and steps
 * expect (see docs/engines.md). An engine the demo does not know gets one event of its `Match` type, so
 * every published engine shows up in the summary.
 */
import type { JsonObject } from '../../router/asl/index.ts';

/** A demo event before it gets its envelope attributes. */
export interface DemoEvent {
  readonly type: string;
  readonly data: JsonObject;
  /** Routes by the `engine` attribute instead of a pattern (engines without `Match`). */
  readonly engine?: string;
  readonly subject?: string;
  /** CloudEvent `source`, when the engine's pattern matches on it. */
  readonly source?: string;
}

/** Partner files the demo drops on the stack's SFTP server for the seed-001 domain flow (`/inbound/NAME`). */
export const DEMO_FILES: readonly { readonly name: string; readonly body: string }[] = [
  { name: 'members-2026-10.csv', body: 'member_id,plan\nm-1,basic\nm-2,plus\nm-3,plus\n' },
  { name: 'members-2026-11.csv', body: 'member_id,plan\nm-4,basic\nm-5,basic\n' },
];

/** The sales file the distributed Map engine totals (`s3://BUCKET/sales/2026-11.csv`, 2,000 rows). */
export const DEMO_SALES = {
  key: 'sales/2026-11.csv',
  body: `store,amount\n${Array.from({ length: 2_000 }, (_, i) => `store-${i % 5},${(i % 40) + 0.25}`).join('\n')}\n`,
};

/** Events for one engine, by batch number (0 = before the hot swap, 1 = after). */
export type Scenario = (phase: 0 | 1) => DemoEvent[];

const orders = (from: number, count: number): DemoEvent[] =>
  Array.from({ length: count }, (_, i) => {
    const n = from + i;
    return {
      type: 'order.placed',
      engine: 'event-engine',
      subject: `customer-${n % 7}`,
      data: { orderId: `order-${n}`, customerId: `customer-${n % 7}`, amount: 10 + (n % 13) * 5 },
    };
  });

/** The shipped engines' scenarios. */
export const SCENARIOS: Readonly<Record<string, Scenario>> = {
  'event-engine': (phase) => (phase === 0 ? orders(1, 40) : orders(41, 40)),
  'batch-average': (phase) =>
    phase === 0
      ? [3, 4, 5].map((repetitions, i) => ({
          type: 'batch.average.requested',
          subject: `run-${i}`,
          data: { repetitions },
        }))
      : [],
  // Seed 003 needs an order of its own (the ETL's second load after the first, a script fixed between
  // two rounds of the collection): `demo/seed003.ts` puts these events itself. Levels 1 and 2 are started
  // by Level 3 as nested executions.
  'redshift-etl': () => [],
  'sql-collection': () => [],
  'sql-collection-round': () => [],
  'sql-query': () => [],
  // Seed 000 runs after the waves, run after run (localstack/demo/sourceFlows.ts): its runs connect.
  'flow-types': () => [],
  // The JSONata engine: a small order, priced without the review step.
  'order-enrichment': (phase) =>
    phase === 0
      ? [
          {
            type: 'order.placed',
            source: 'shop.orders',
            data: {
              orderId: 'o-1',
              customer: { tier: 'gold' },
              lines: [{ sku: 'a', qty: 2, unitPrice: 10 }],
            },
          },
        ]
      : [],
  // The distributed Map engine: one sales file, in batches of 500 rows (the demo uploads it first).
  'sales-rollup': (phase) =>
    phase === 0 ? [{ type: 'sales.file.uploaded', source: 'shop.sales', data: { key: DEMO_SALES.key } }] : [],
  // Seed 001: files dropped on the stack's SFTP server (the demo drops them first).
  'demo-flow': (phase) =>
    phase === 0
      ? DEMO_FILES.map((file) => ({
          type: 'demo.file.arrived',
          source: 'demo.domain',
          subject: file.name,
          data: { file: file.name },
        }))
      : [],
};

/** The fallback: one event of the engine's first `Match` type (and source, when it names one), if any. */
export function fallbackScenario(match: JsonObject | undefined): Scenario {
  const first = (values: unknown): string | undefined =>
    Array.isArray(values) && typeof values[0] === 'string' ? values[0] : undefined;
  const type = first(match?.type);
  const source = first(match?.source);
  return (phase) =>
    phase === 0 && type !== undefined
      ? [{ type, data: {}, ...(source === undefined ? {} : { source }) }]
      : [];
}
