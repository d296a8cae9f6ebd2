/**
 * Fuzzing the batch loop against Lambda's contract. A shard of random records (valid CloudEvents,
 * copies of them, mutated bytes, poison of every kind, KPL aggregates, corrupt aggregates) is fed to the
 * router the way Lambda feeds it: a batch from the checkpoint, and after a response with
 * `batchItemFailures` the shard again from the lowest reported record. Steps throttle a planned number
 * of times; in the second and third properties the execution store also fails (before or after applying
 * a write, the latter being a lost answer) and leases run out on a virtual clock, and in the third the
 * attempt limit is low enough for those faults to make the router give up on routed records.
 *
 * Every record must end accounted for exactly once (its message's execution finished, or quarantined
 * with the reason its bytes call for), nothing is retried forever, each unit of work has one effect,
 * and per partition key the first step's effects follow the stream. fast-check runs with a fixed seed
 * (FUZZ_SEED, FUZZ_RUNS override it), so a failure prints a counterexample that replays.
 */
import type { KinesisStreamRecord } from 'aws-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../router/asl/interpreter/clock.ts';
import type { JsonValue } from '../../../router/asl/types.ts';
import type {
  CheckpointUpdate,
  ClaimRequest,
  ClaimResult,
  Completion,
  ExecutionKey,
  ExecutionRecord,
} from '../../../router/executions/ExecutionStore.ts';
import { MemoryExecutionStore } from '../../../router/executions/MemoryExecutionStore.ts';
import { type DecodedRecord, decodeRecords } from '../../../router/pipeline/decode.ts';
import type { QuarantineEntry } from '../../../router/quarantine/QuarantineStore.ts';
import { aggregateUserRecords, kinesisRecordFactory } from '../../support/records.ts';
import { inMemoryRouter, sequentialGraph } from '../../support/router.ts';

const SEED = Number(process.env.FUZZ_SEED ?? '20260301');
const RUNS = Number(process.env.FUZZ_RUNS ?? '1000');
const MAX_ATTEMPTS = 3;
const MAX_RECORD_BYTES = 1024;
const LEASE_MS = 5_000;
/** What Lambda waits between deliveries here: leases run out after a few. */
const DELIVERY_MS = 1_000;
const KEYS = ['k0', 'k1', 'k2'];
const SHARD = 'shardId-000000000000';

/** How message `n` behaves: throttles at step1 and step2, and whether step3 rejects it. */
interface MessageSpec {
  readonly t1: number;
  readonly t2: number;
  readonly fail: boolean;
}

/** Byte-level damage to a record. */
type Mutation =
  | { readonly op: 'flip'; readonly at: number; readonly xor: number }
  | { readonly op: 'truncate'; readonly at: number }
  | { readonly op: 'insert'; readonly at: number; readonly bytes: Uint8Array };

/** A user record inside an aggregate: a message, or a poison text. */
type UserSpec = { readonly n: number } | { readonly poison: string };

type RecordSpec =
  | { readonly kind: 'event'; readonly n: number; readonly engine: 'orders' | 'ghost' | 'none' }
  | { readonly kind: 'mutated'; readonly n: number; readonly mutation: Mutation }
  | { readonly kind: 'padded'; readonly n: number }
  | { readonly kind: 'poison'; readonly text: string }
  | { readonly kind: 'garbage'; readonly bytes: Uint8Array }
  | { readonly kind: 'aggregate'; readonly users: readonly UserSpec[]; readonly corrupt?: Mutation };

const POISON = [
  '{not json',
  '[1, 2]',
  '"text"',
  '42',
  'null',
  '{"specversion": "1.0", "id": "x"}',
  '{"specversion": "0.3", "id": "x", "source": "s", "type": "t"}',
  '{"order": 1}',
];

const messageSpec = fc.record({
  t1: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: MAX_ATTEMPTS + 1 })),
  t2: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: MAX_ATTEMPTS + 1 })),
  fail: fc.boolean(),
});
const messageNumber = fc.integer({ min: 0, max: 9 });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    op: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 4 }),
  }),
);
const userSpec: fc.Arbitrary<UserSpec> = fc.oneof(
  { weight: 4, arbitrary: messageNumber.map((n) => ({ n })) },
  { weight: 1, arbitrary: fc.constantFrom(...POISON).map((poison) => ({ poison })) },
);
const recordSpec: fc.Arbitrary<RecordSpec> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('event' as const),
      n: messageNumber,
      engine: fc.constantFrom('orders', 'orders', 'orders', 'ghost', 'none') as fc.Arbitrary<
        'orders' | 'ghost' | 'none'
      >,
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('mutated' as const), n: messageNumber, mutation }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('padded' as const), n: messageNumber }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('poison' as const), text: fc.constantFrom(...POISON) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('garbage' as const), bytes: fc.uint8Array({ maxLength: 40 }) }),
  },
  {
    weight: 3,
    arbitrary: fc.record(
      {
        kind: fc.constant('aggregate' as const),
        users: fc.array(userSpec, { minLength: 1, maxLength: 4 }),
        corrupt: mutation,
      },
      { requiredKeys: ['kind', 'users'] },
    ),
  },
);
/** A scenario: the messages' behaviour, the shard, and the batch sizes Lambda uses in turn. */
const scenario = fc.record({
  messages: fc.array(messageSpec, { minLength: 10, maxLength: 10 }),
  records: fc.array(recordSpec, { minLength: 1, maxLength: 30 }),
  batchSizes: fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 5 }),
});
type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

/** Which of the store's first calls fail, and how; the rest succeed. */
const storePlan = fc.array(
  fc.oneof(
    { weight: 8, arbitrary: fc.constant('ok' as const) },
    { weight: 1, arbitrary: fc.constant('before' as const) },
    { weight: 1, arbitrary: fc.constant('after' as const) },
  ),
  { minLength: 1, maxLength: 40 },
);

/** The CloudEvent of message `n`; its id differs from every other message's in two places. */
function event(n: number, spec: MessageSpec | undefined, engine: 'orders' | 'ghost' | 'none', pad = 0) {
  return {
    specversion: '1.0',
    id: `m${n}x${n}`,
    source: 'fuzz',
    type: 'order.created',
    ...(engine === 'none' ? {} : { engine }),
    data: { mid: `m${n}`, ...spec, ...(pad > 0 ? { pad: 'p'.repeat(pad) } : {}) },
  };
}

function mutate(bytes: Buffer, m: Mutation): Buffer {
  if (bytes.length === 0) return bytes;
  const at = m.at % bytes.length;
  switch (m.op) {
    case 'flip': {
      const copy = Buffer.from(bytes);
      copy[at] = (copy[at] ?? 0) ^ m.xor;
      return copy;
    }
    case 'truncate':
      return bytes.subarray(0, at);
    case 'insert':
      return Buffer.concat([bytes.subarray(0, at), Buffer.from(m.bytes), bytes.subarray(at)]);
  }
}

const keyOf = (n: number): string => KEYS[n % KEYS.length] ?? 'k0';
const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
const at = (data: Buffer, partitionKey: string): KinesisStreamRecord =>
  kinesisRecordFactory(data, { partitionKey, shardId: SHARD, arrivalMs: Date.parse('2026-03-01T10:00:00Z') });

/** One record of the shard as Lambda delivers it. */
function recordOf(s: Scenario, r: RecordSpec): KinesisStreamRecord {
  switch (r.kind) {
    case 'event':
      return at(json(event(r.n, s.messages[r.n], r.engine)), keyOf(r.n));
    case 'mutated':
      return at(mutate(json(event(r.n, s.messages[r.n], 'orders')), r.mutation), keyOf(r.n));
    case 'padded':
      return at(json(event(r.n, s.messages[r.n], 'orders', MAX_RECORD_BYTES)), keyOf(r.n));
    case 'poison':
      return at(Buffer.from(r.text), 'k0');
    case 'garbage':
      return at(Buffer.from(r.bytes), 'k1');
    case 'aggregate': {
      const built = aggregateUserRecords(
        r.users.map((u) =>
          'n' in u
            ? { partitionKey: keyOf(u.n), data: json(event(u.n, s.messages[u.n], 'orders')) }
            : { partitionKey: 'k2', data: u.poison },
        ),
      );
      return at(r.corrupt === undefined ? built.data : mutate(built.data, r.corrupt), built.partitionKey);
    }
  }
}

/** The shard: Lambda-shaped records in stream order. */
function shard(s: Scenario): KinesisStreamRecord[] {
  return s.records.map((r) => recordOf(s, r));
}

/** Steps whose effects are counted per idempotency key, throttling as the message's data says. */
function countingSteps() {
  const calls = new Map<string, number>();
  /** First successful call per idempotency key, in the order they happened. */
  const effects = new Map<string, { readonly unit: string; readonly seq: number }>();
  let repeatedSuccesses = 0;
  const step =
    (fn: string, throttles: 't1' | 't2' | undefined, rejects: boolean) =>
    (payload: JsonValue, effect: { idempotencyKey: string }): JsonValue => {
      const key = effect.idempotencyKey;
      const call = (calls.get(key) ?? 0) + 1;
      calls.set(key, call);
      const data = typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? payload : {};
      if (throttles !== undefined && call <= throttleCount(data[throttles])) {
        throw Object.assign(new Error('Rate exceeded'), { name: 'Lambda.TooManyRequestsException' });
      }
      if (rejects && data.fail === true)
        throw Object.assign(new Error('rejected'), { name: 'OrderRejected' });
      if (effects.has(key)) repeatedSuccesses += 1;
      else {
        const unit = typeof data.mid === 'string' ? `${fn} ${data.mid}` : `${fn} ?`;
        effects.set(key, { unit, seq: effects.size });
      }
      return { by: fn };
    };
  return {
    steps: {
      step1: step('step1', 't1', false),
      step2: step('step2', 't2', false),
      step3: step('step3', undefined, true),
    },
    effects,
    repeated: () => repeatedSuccesses,
  };
}

/** How many first calls a throttle field throttles: the whole calls it covers. */
function throttleCount(value: JsonValue | undefined): number {
  return typeof value === 'number' && value >= 1 ? Math.floor(value) : 0;
}

/**
 * A store that fails some of its first calls, before applying them or after (the caller never hears
 * back), as in a transient outage; every call after the plan succeeds.
 */
class FlakyExecutionStore extends MemoryExecutionStore {
  private call = 0;
  failures = 0;

  constructor(private readonly plan: readonly ('ok' | 'before' | 'after')[]) {
    super();
  }

  private async flaky<T>(action: () => Promise<T>): Promise<T> {
    const fault = this.plan[this.call++] ?? 'ok';
    if (fault === 'ok') return action();
    this.failures += 1;
    const error = Object.assign(new Error('The level of configured provisioned throughput was exceeded'), {
      name: 'ProvisionedThroughputExceededException',
    });
    if (fault === 'before') throw error;
    await action();
    throw error;
  }

  override peek(keys: readonly ExecutionKey[], now: number): Promise<Map<string, ExecutionRecord>> {
    return this.flaky(() => super.peek(keys, now));
  }

  override claim(request: ClaimRequest, known?: ExecutionRecord | null): Promise<ClaimResult> {
    return this.flaky(() => super.claim(request, known));
  }

  override claimFinished(request: ClaimRequest, completion: Completion): Promise<ClaimResult> {
    return this.flaky(() => super.claimFinished(request, completion));
  }

  override checkpoint(record: ExecutionRecord, update: CheckpointUpdate): Promise<ExecutionRecord> {
    return this.flaky(() => super.checkpoint(record, update));
  }

  override complete(record: ExecutionRecord, completion: Completion): Promise<ExecutionRecord> {
    return this.flaky(() => super.complete(record, completion));
  }

  override recordFailure(key: ExecutionKey, now: number): Promise<number> {
    return this.flaky(() => super.recordFailure(key, now));
  }
}

/**
 * Lambda's side of the contract: deliver a batch from the checkpoint; on a response without failures
 * move past it, otherwise deliver again from the lowest reported record (the whole batch again when
 * the handler throws). Answers the deliveries made.
 */
async function deliver(
  handle: (records: KinesisStreamRecord[]) => Promise<readonly { itemIdentifier: string }[]>,
  records: readonly KinesisStreamRecord[],
  batchSizes: readonly number[],
  clock: VirtualClock,
  limit: number,
): Promise<number> {
  let position = 0;
  let deliveries = 0;
  while (position < records.length) {
    if (deliveries >= limit) {
      throw new Error(
        `retried forever: ${deliveries} deliveries and record ${position} (sequence ${records[position]?.kinesis.sequenceNumber}) still not acknowledged`,
      );
    }
    const size = batchSizes[deliveries % batchSizes.length] ?? 1;
    deliveries += 1;
    const batch = records.slice(position, position + size);
    // A handler that throws is a function error: Lambda delivers the whole batch again.
    const failures = await handle(batch).catch(() => [
      { itemIdentifier: batch[0]?.kinesis.sequenceNumber ?? '' },
    ]);
    clock.advance(DELIVERY_MS);
    if (failures.length === 0) {
      position += batch.length;
      continue;
    }
    const reported = failures.map((f) =>
      batch.findIndex((r) => r.kinesis.sequenceNumber === f.itemIdentifier),
    );
    expect(reported, 'every reported item is a record of the batch').not.toContain(-1);
    position += Math.min(...reported);
  }
  return deliveries;
}

/** `shard sequence[#sub]`: where a user record sits. */
function positionOf(d: { shardId: string; sequenceNumber: string; subSequence?: number }): string {
  return `${d.shardId} ${d.sequenceNumber}${d.subSequence === undefined ? '' : `#${d.subSequence}`}`;
}

/** A routed message as the oracle sees it: its first copy, and what its data plans. */
interface Expected {
  readonly dedupKey: string;
  readonly first: DecodedRecord;
  readonly data: Readonly<Record<string, JsonValue>> | undefined;
}

/** What the router's own decoder makes of the shard: poison with its reason, and the routed messages. */
function oracle(records: readonly KinesisStreamRecord[]) {
  const decoded = decodeRecords(records, { maxBytes: MAX_RECORD_BYTES });
  /** Quarantine reason per position; `*` where any reason will do (a callback-typed record). */
  const poison = new Map<string, string>();
  const messages = new Map<string, Expected>();
  for (const d of decoded) {
    if (!d.ok) poison.set(positionOf(d), d.error.reason);
    else if (d.envelope.kind === 'callback') poison.set(positionOf(d), '*');
    else if (d.envelope.kind === 'raw' || d.envelope.event.engine !== 'orders')
      poison.set(positionOf(d), 'no-route');
    else if (!messages.has(d.envelope.dedupKey)) {
      const data = d.envelope.event.data;
      messages.set(d.envelope.dedupKey, {
        dedupKey: d.envelope.dedupKey,
        first: d,
        data: typeof data === 'object' && data !== null && !Array.isArray(data) ? data : undefined,
      });
    }
  }
  return { decoded, poison, messages };
}

/** Status and effects a message's plan calls for, given the attempt limit. */
function planned(data: Readonly<Record<string, JsonValue>>): { status: string; steps: string[] } {
  const a = throttleCount(data.t1);
  const b = throttleCount(data.t2);
  if (a >= MAX_ATTEMPTS) return { status: 'QUARANTINED', steps: [] };
  if (a + b >= MAX_ATTEMPTS) return { status: 'QUARANTINED', steps: ['step1'] };
  if (data.fail === true) return { status: 'FAILED', steps: ['step1', 'step2'] };
  return { status: 'SUCCEEDED', steps: ['step1', 'step2', 'step3'] };
}

/** Effects per unit of work (`step mid`) the messages' plans call for; messages may share a mid. */
function expectedEffects(
  messages: Iterable<Expected>,
  plan: (data: Readonly<Record<string, JsonValue>>) => { steps: string[] },
): Record<string, number> {
  const expected: Record<string, number> = {};
  for (const m of messages) {
    if (m.data === undefined || typeof m.data.mid !== 'string') continue;
    for (const step of plan(m.data).steps) {
      const unit = `${step} ${m.data.mid}`;
      expected[unit] = (expected[unit] ?? 0) + 1;
    }
  }
  return expected;
}

/** Effects per unit of work that took place (units of payloads without a mid left out). */
function effectsPerUnit(effects: ReadonlyMap<string, { readonly unit: string }>): Record<string, number> {
  const counted: Record<string, number> = {};
  for (const e of effects.values()) if (!e.unit.endsWith(' ?')) counted[e.unit] = (counted[e.unit] ?? 0) + 1;
  return counted;
}

async function entries(list: AsyncIterable<QuarantineEntry>): Promise<QuarantineEntry[]> {
  const out: QuarantineEntry[] = [];
  for await (const entry of list) out.push(entry);
  return out;
}

/** Per partition key, the first step's effects must follow the order of the messages' first copies. */
function orderViolations(
  messages: readonly Expected[],
  effects: ReadonlyMap<string, { readonly unit: string; readonly seq: number }>,
): string[] {
  const mids = new Map<string, number>();
  for (const m of messages) {
    const mid = m.data?.mid;
    if (typeof mid === 'string') mids.set(mid, (mids.get(mid) ?? 0) + 1);
  }
  const seqOf = new Map<string, number>();
  for (const e of effects.values()) {
    if (e.unit.startsWith('step1 ')) seqOf.set(e.unit.slice('step1 '.length), e.seq);
  }
  const violations: string[] = [];
  const lastByKey = new Map<string, { mid: string; seq: number }>();
  for (const m of messages) {
    const mid = m.data?.mid;
    if (typeof mid !== 'string' || mids.get(mid) !== 1) continue;
    const seq = seqOf.get(mid);
    if (seq === undefined) continue;
    const last = lastByKey.get(m.first.partitionKey);
    if (last !== undefined && seq < last.seq) {
      violations.push(`${m.first.partitionKey}: ${mid} took effect before ${last.mid}, which came first`);
    }
    lastByKey.set(m.first.partitionKey, { mid, seq });
  }
  return violations;
}

describe('redelivery fuzz', () => {
  it('accounts for every record exactly once, with throttling steps and redelivery from the lowest failure', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        // Prepare
        const records = shard(s);
        const clock = new VirtualClock(Date.parse('2026-03-01T10:00:00Z'), { auto: false });
        const counted = countingSteps();
        const r = inMemoryRouter(
          counted.steps,
          { maxAttempts: MAX_ATTEMPTS, maxRecordBytes: MAX_RECORD_BYTES, leaseMs: LEASE_MS },
          clock,
        );
        await r.publish(sequentialGraph(3), { engine: 'orders' });
        const { decoded, poison, messages } = oracle(records);
        // Act
        await deliver(
          async (batch) => (await r.router.handleBatch({ Records: batch })).batchItemFailures,
          records,
          s.batchSizes,
          clock,
          decoded.length * (MAX_ATTEMPTS + 2) + records.length,
        );
        // Assess: poison quarantined with its reason, each given-up message once, nothing else
        const expectedQuarantine = new Map(poison);
        for (const m of messages.values()) {
          if (m.data !== undefined && planned(m.data).status === 'QUARANTINED')
            expectedQuarantine.set(positionOf(m.first), 'max-attempts');
        }
        const quarantined = await entries(r.quarantine.list());
        const found = new Map(quarantined.map((q) => [positionOf(q.record), q.reason]));
        expect(found.size, 'one quarantine entry per record').toBe(quarantined.length);
        for (const [at, reason] of expectedQuarantine)
          if (reason === '*') expectedQuarantine.set(at, found.get(at) ?? '*');
        expect(Object.fromEntries(found)).toEqual(Object.fromEntries(expectedQuarantine));
        // every routed message has one finished execution, in the status its plan calls for
        const executions = new Map([...r.executions.records.values()].map((x) => [x.dedupKey, x.status]));
        expect([...executions.keys()].sort()).toEqual([...messages.keys()].sort());
        for (const m of messages.values()) {
          const status = executions.get(m.dedupKey);
          if (m.data === undefined) expect(['SUCCEEDED', 'FAILED']).toContain(status);
          else expect(status, m.dedupKey).toBe(planned(m.data).status);
        }
        // one effect per unit of work; a finished step is never run again
        expect(effectsPerUnit(counted.effects)).toEqual(expectedEffects(messages.values(), planned));
        expect(counted.repeated()).toBe(0);
        // order per partition key
        expect(orderViolations([...messages.values()], counted.effects)).toEqual([]);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  }, 120_000);

  it('accounts for every record exactly once when the execution store fails and leases run out', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, storePlan, async (s, plan) => {
        // Prepare
        const records = shard(s);
        const clock = new VirtualClock(Date.parse('2026-03-01T10:00:00Z'), { auto: false });
        const counted = countingSteps();
        const executions = new FlakyExecutionStore(plan);
        const r = inMemoryRouter(
          counted.steps,
          // Store faults count as attempts too: a limit past the planned throttles keeps the plan's outcome
          { maxAttempts: 50, maxRecordBytes: MAX_RECORD_BYTES, leaseMs: LEASE_MS },
          clock,
          { executions },
        );
        await r.publish(sequentialGraph(3), { engine: 'orders' });
        const { decoded, poison, messages } = oracle(records);
        // Act
        await deliver(
          async (batch) => (await r.router.handleBatch({ Records: batch })).batchItemFailures,
          records,
          s.batchSizes,
          clock,
          decoded.length * 60,
        );
        // Assess: poison quarantined with its reason, no routed record quarantined (the limit is far)
        const quarantined = await entries(r.quarantine.list());
        const found = new Map(quarantined.map((q) => [positionOf(q.record), q.reason]));
        expect(found.size, 'one quarantine entry per record').toBe(quarantined.length);
        const expected = new Map(poison);
        for (const [at, reason] of expected) if (reason === '*') expected.set(at, found.get(at) ?? '*');
        expect(Object.fromEntries(found)).toEqual(Object.fromEntries(expected));
        // every routed message finished: its plan's status, or FAILED for data that plans nothing
        const statuses = new Map([...executions.records.values()].map((x) => [x.dedupKey, x.status]));
        expect([...statuses.keys()].sort()).toEqual([...messages.keys()].sort());
        for (const m of messages.values()) {
          const status = statuses.get(m.dedupKey);
          const want = m.data === undefined ? undefined : planned({ ...m.data, t1: 0, t2: 0 }).status;
          if (want === undefined) expect(['SUCCEEDED', 'FAILED']).toContain(status);
          else expect(status, m.dedupKey).toBe(want);
        }
        // one effect per unit of work, however many times a lost answer made a step run again
        expect(effectsPerUnit(counted.effects)).toEqual(
          expectedEffects(messages.values(), (data) => planned({ ...data, t1: 0, t2: 0 })),
        );
        expect(orderViolations([...messages.values()], counted.effects)).toEqual([]);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  }, 120_000);

  it('leaves no record retried forever when store faults and throttles use up the attempt limit', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, storePlan, async (s, plan) => {
        // Prepare
        const records = shard(s);
        const clock = new VirtualClock(Date.parse('2026-03-01T10:00:00Z'), { auto: false });
        const counted = countingSteps();
        const executions = new FlakyExecutionStore(plan);
        const r = inMemoryRouter(
          counted.steps,
          { maxAttempts: MAX_ATTEMPTS, maxRecordBytes: MAX_RECORD_BYTES, leaseMs: LEASE_MS },
          clock,
          { executions },
        );
        await r.publish(sequentialGraph(3), { engine: 'orders' });
        const { decoded, poison, messages } = oracle(records);
        // Act
        await deliver(
          async (batch) => (await r.router.handleBatch({ Records: batch })).batchItemFailures,
          records,
          s.batchSizes,
          clock,
          decoded.length * 60,
        );
        // Assess: poison quarantined with its reason; any other entry is a routed record given up on
        const quarantined = await entries(r.quarantine.list());
        const found = new Map(quarantined.map((q) => [positionOf(q.record), q.reason]));
        expect(found.size, 'one quarantine entry per record').toBe(quarantined.length);
        const routedAt = new Map<string, string>();
        for (const d of decoded) {
          if (d.ok && d.envelope.kind !== 'callback') routedAt.set(positionOf(d), d.envelope.dedupKey);
        }
        const givenUp = new Set<string>();
        for (const [at, reason] of found) {
          const want = poison.get(at);
          if (want !== undefined) expect(reason === want || want === '*', `${at}: ${reason}`).toBe(true);
          else {
            expect(reason, at).toBe('max-attempts');
            givenUp.add(routedAt.get(at) ?? at);
          }
        }
        for (const at of poison.keys()) expect(found.has(at), `poison at ${at} quarantined`).toBe(true);
        // every routed message finished, or was given up on with its record quarantined
        const statuses = new Map([...executions.records.values()].map((x) => [x.dedupKey, x.status]));
        for (const m of messages.values()) {
          if (givenUp.has(m.dedupKey)) continue;
          expect(['SUCCEEDED', 'FAILED'], m.dedupKey).toContain(statuses.get(m.dedupKey));
        }
        // no unit of work took effect more often than its messages planned
        const planned0 = expectedEffects(messages.values(), (data) => planned({ ...data, t1: 0, t2: 0 }));
        for (const [unit, n] of Object.entries(effectsPerUnit(counted.effects))) {
          expect(n, unit).toBeLessThanOrEqual(planned0[unit] ?? 0);
        }
        const kept = [...messages.values()].filter((m) => !givenUp.has(m.dedupKey));
        expect(orderViolations(kept, counted.effects)).toEqual([]);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  }, 120_000);
});
