/**
 * What an execution cost here and what the same work would cost on Step Functions, from its record and
 * history alone: store writes (every conditional write bumps the record's revision), state transitions
 * (Standard's unit), step invocations and their durations (what Lambda bills), and the execution's
 * duration (Express's unit). Prices are us-east-1 list prices, shown beside the figures.
 */
import type { ExecutionRecord } from '../executions/index.ts';
import { decodeHistory } from '../executions/index.ts';
import type { CostRow, CostView } from './types.ts';

/** us-east-1 list prices, USD. */
const PRICE = {
  /** Step Functions Standard, per state transition. */
  standardTransition: 0.025 / 1000,
  /** Step Functions Express, per execution. */
  expressRequest: 1 / 1_000_000,
  /** Step Functions Express, per GB-second, billed in 100 ms at 64 MB. */
  expressGbSecond: 0.00001667,
  /** DynamoDB on demand, per write and read request unit. */
  dynamoWrite: 0.625 / 1_000_000,
  dynamoRead: 0.125 / 1_000_000,
  /** Lambda, per request and per GB-second on arm64 (steps at 128 MB). */
  lambdaRequest: 0.2 / 1_000_000,
  lambdaGbSecond: 0.0000133334,
} as const;

const STEP_MEMORY_GB = 0.125;
const EXPRESS_MEMORY_GB = 0.0625;

/** The prices as the page lists them. */
export const PRICES: Readonly<Record<string, string>> = {
  'Step Functions Standard': '$0.025 per 1,000 state transitions',
  'Step Functions Express': '$1.00 per million executions + $0.00001667 per GB-second (64 MB, 100 ms steps)',
  'DynamoDB on demand': '$0.625 per million writes, $0.125 per million reads (1 KB / 4 KB units)',
  'Lambda (steps)': '$0.20 per million requests + $0.0000133334 per GB-second (arm64, 128 MB)',
};

/** The work and price of one execution (`history` read with the record). */
export function costOf(record: ExecutionRecord): CostRow {
  const events = record.history === undefined ? [] : decodeHistory(record.history);
  let transitions = 0;
  let invocations = 0;
  let invocationMs = 0;
  const scheduled = new Map<string, number>();
  for (const event of events) {
    if (event.type.endsWith('StateEntered')) transitions += 1;
    if (event.type === 'TaskScheduled') {
      invocations += 1;
      scheduled.set(event.thread, event.timestamp);
    }
    if (event.type === 'TaskSucceeded' || event.type === 'TaskFailed' || event.type === 'TaskTimedOut') {
      const start = scheduled.get(event.thread);
      if (start !== undefined) invocationMs += event.timestamp - start;
      scheduled.delete(event.thread);
    }
  }
  const first = events[0]?.timestamp ?? Date.parse(record.startedAt);
  const last = events.at(-1)?.timestamp ?? Date.parse(record.updatedAt);
  const durationMs = Math.max(0, last - first);
  const storeWrites = Math.max(1, record.rev);
  // One consistent read: the batch pre-check (shared by up to 100 records, counted whole here).
  const storeReads = 1;
  const routerUsd =
    storeWrites * PRICE.dynamoWrite +
    storeReads * PRICE.dynamoRead +
    invocations * PRICE.lambdaRequest +
    (invocationMs / 1000) * STEP_MEMORY_GB * PRICE.lambdaGbSecond;
  const billedExpressSeconds = Math.max(1, Math.ceil(durationMs / 100)) / 10;
  const stepUsd =
    invocations * PRICE.lambdaRequest + (invocationMs / 1000) * STEP_MEMORY_GB * PRICE.lambdaGbSecond;
  return {
    executionId: record.executionId,
    dedupKey: record.dedupKey,
    engine: record.engine,
    status: record.status,
    storeWrites,
    storeReads,
    transitions,
    invocations,
    invocationMs,
    durationMs,
    routerUsd,
    // Step Functions runs the same steps: their Lambda cost is added to each.
    standardUsd: transitions * PRICE.standardTransition + stepUsd,
    expressUsd:
      PRICE.expressRequest + billedExpressSeconds * EXPRESS_MEMORY_GB * PRICE.expressGbSecond + stepUsd,
  };
}

type EngineCost = CostView['engines'][number];

/** The rows summed per engine. */
export function costByEngine(rows: readonly CostRow[]): EngineCost[] {
  const engines = new Map<string, EngineCost>();
  for (const row of rows) {
    const sum = engines.get(row.engine);
    const { executionId: _id, dedupKey: _key, status: _status, ...figures } = row;
    if (sum === undefined) {
      engines.set(row.engine, { ...figures, executions: 1 });
      continue;
    }
    engines.set(row.engine, {
      engine: row.engine,
      executions: sum.executions + 1,
      storeWrites: sum.storeWrites + row.storeWrites,
      storeReads: sum.storeReads + row.storeReads,
      transitions: sum.transitions + row.transitions,
      invocations: sum.invocations + row.invocations,
      invocationMs: sum.invocationMs + row.invocationMs,
      durationMs: sum.durationMs + row.durationMs,
      routerUsd: sum.routerUsd + row.routerUsd,
      standardUsd: sum.standardUsd + row.standardUsd,
      expressUsd: sum.expressUsd + row.expressUsd,
    });
  }
  return [...engines.values()];
}
