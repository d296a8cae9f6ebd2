/**
 * The distributed Map's run around the item loop of `map.ts`: it reads the items from S3 (an invoke the
 * runtime performs, `mapRun: 'read'`), applies ItemSelector and groups the items into batches
 * (ItemBatcher), runs one child per item or batch, counts failed items against the tolerance (a failed
 * batch fails all its items), and writes the children's results to S3 (`mapRun: 'write'`).
 *
 * ```
 *  enter ──ItemReader?──> invoke(read) ──items──┐
 *    └──── ItemsPath / Items ─────────────────> select, batch ──> children ──all settled──┐
 *                                                                                      │
 *  Map result <── ResultWriter details <── invoke(write) <──ResultWriter?───────────────┤
 *            <── child outputs, in order <─────────────────────────────────────────────┘
 * ```
 *
 * The children run as threads of the parent (`mapChildren: 'threads'`, the in-process path), or as
 * executions of their own (`'executions'`): a child invoke with a task token per item or batch, which the
 * runtime hands to the stream; the Map then waits on the tokens like a callback Task.
 */
import { STATES_ERRORS, StatesError } from '../../errors.ts';
import { isJsonObject, type JsonObject, type JsonValue } from '../../types.ts';
import { stateError } from '../causes.ts';
import type { CompiledDistributed, CompiledMap } from '../compiled.ts';
import {
  type Ctx,
  contextObject,
  evaluate,
  type Frame,
  NO_CONTEXT,
  type NumberRule,
  numberField,
  record,
} from '../ctx.ts';
import { jsonSize } from '../payload-limit.ts';
import { queryCount, runQuery } from '../query.ts';
import { nextUuid, taskToken } from '../random.ts';
import { succeedWithResult } from '../result.ts';
import { flattenOutputs } from '../resultShape.ts';
import { failState } from '../retry-catch.ts';
import type { ExecutionEvent, MapBlock, MapRun, ThreadEnd } from '../state.ts';
import { addPending, cancelThread, visitOf } from '../threads.ts';
import type { pumpMap, settleItem } from './map.ts';

/** A count selected by a path or an expression (MaxItems, MaxItemsPerBatch, MaxInputBytesPerBatch). */
const POSITIVE: NumberRule = {
  accepts: (n) => Number.isInteger(n) && n > 0,
  expected: 'a positive integer',
};

/** How ItemBatcher groups items: at most this many, at most this many bytes of batch input. */
export interface BatchLimits {
  readonly maxItems?: number | undefined;
  readonly maxBytes?: number | undefined;
}

/**
 * Groups items into the batches children receive, `{ BatchInput?, Items }`, in order: a batch closes
 * when it holds `maxItems` items or when the next item would take its JSON past `maxBytes`. An item too
 * large for a batch of its own is an error naming its index.
 *
 * @example
 * batchItems([1, 2, 3], { maxItems: 2 }, { run: 7 });
 * // [{ BatchInput: { run: 7 }, Items: [1, 2] }, { BatchInput: { run: 7 }, Items: [3] }]
 */
export function batchItems(
  items: readonly JsonValue[],
  limits: BatchLimits,
  batchInput?: JsonValue,
): JsonObject[] {
  const maxItems = limits.maxItems ?? Number.POSITIVE_INFINITY;
  const maxBytes = limits.maxBytes ?? Number.POSITIVE_INFINITY;
  // `{"BatchInput":…,"Items":[]}`, and a comma between two items.
  const base = (batchInput === undefined ? 0 : jsonSize(batchInput) + 14) + 11;
  const batches: JsonObject[] = [];
  let current: JsonValue[] = [];
  let bytes = base;
  const close = (): void => {
    if (current.length === 0) return;
    batches.push(batchInput === undefined ? { Items: current } : { BatchInput: batchInput, Items: current });
    current = [];
    bytes = base;
  };
  items.forEach((item, index) => {
    const size = jsonSize(item) + (current.length === 0 ? 0 : 1);
    if (current.length >= maxItems || (current.length > 0 && bytes + size > maxBytes)) close();
    const own = jsonSize(item);
    if (base + own > maxBytes) {
      throw new StatesError(
        STATES_ERRORS.Runtime,
        `item ${index} (${own} bytes) does not fit in a batch of MaxInputBytesPerBatch ${maxBytes} bytes`,
      );
    }
    bytes += current.length === 0 ? own : own + 1;
    current.push(item);
  });
  close();
  return batches;
}

/** `arn:aws:states:REGION:ACCOUNT:` of the machine's ARN, or the local stand-in. */
function arnPrefix(stateMachineId: string): string {
  const parts = stateMachineId.split(':');
  if (parts.length >= 6 && parts[0] === 'arn') return `${parts.slice(0, 5).join(':')}:`;
  return 'arn:aws:states:local:000000000000:';
}

/** The machine name and label a map run's child executions are named under. */
function runScope(ctx: Ctx, d: CompiledDistributed): { prefix: string; scope: string } {
  const x = ctx.state.context;
  return { prefix: arnPrefix(x.stateMachineId), scope: `${x.stateMachineName}/${d.label}` };
}

/** The S3 request's parameters, evaluated against the Map's effective input. */
function requestParameters(
  ctx: Ctx,
  f: Frame,
  s: CompiledMap,
  request: { parameters: CompiledMap['itemSelector']; arguments: CompiledMap['items'] },
  field: string,
  input: JsonValue,
): JsonValue {
  if (request.arguments !== undefined)
    return runQuery(ctx, f, s, request.arguments, { input: f.thread.input });
  if (request.parameters === undefined) return {};
  const context = s.usesContext ? contextObject(ctx, f.thread, s) : NO_CONTEXT;
  return evaluate(ctx, f, field, request.parameters, input, context);
}

/** Hands the runtime the map run's S3 read or write; the Map waits on it. */
function requestIo(
  ctx: Ctx,
  f: Frame,
  s: CompiledMap,
  run: MapRun,
  phase: 'read' | 'write',
  resource: string,
  input: JsonValue,
): void {
  const t = f.thread;
  const visit = visitOf(t, s.name);
  const invokeId = `${t.path}${s.name}#${visit}.${t.attempt}/${phase}`;
  run.io = { phase, invokeId };
  addPending(ctx, f.loc, {
    type: 'invoke',
    id: invokeId,
    resource,
    input,
    idempotencyKey: `${ctx.state.context.executionId}:${t.keyPath}${s.name}#${visit}/${phase}`,
    stateName: s.name,
    attempt: t.attempt,
    mapRun: phase,
  });
}

/**
 * Starts a distributed Map's run on a prepared block: reads its items from S3 (the Map then waits), or
 * takes the items it was given.
 */
export function startMapRun(
  ctx: Ctx,
  f: Frame,
  s: CompiledMap,
  d: CompiledDistributed,
  block: MapBlock,
  items: JsonValue[] | undefined,
): void {
  const id = nextUuid(ctx.state);
  const { prefix, scope } = runScope(ctx, d);
  const run: MapRun = {
    arn: `${prefix}mapRun:${scope}:${id}`,
    id,
    itemCount: 0,
    selected: false,
    starts: {},
    records: [],
  };
  block.run = run;
  f.thread.block = block;
  if (d.writer !== undefined) {
    run.writer = requestParameters(ctx, f, s, d.writer, 'ResultWriter.Parameters', block.input);
  }
  if (d.reader === undefined) {
    beginItems(ctx, f, s, d, block, items ?? []);
    return;
  }
  const reader = d.reader;
  const parameters = requestParameters(ctx, f, s, reader, 'ItemReader.Parameters', block.input);
  const maxItems =
    reader.maxItemsQuery === undefined
      ? numberField(ctx, f, reader.maxItems, 'MaxItemsPath', POSITIVE, block.input, NO_CONTEXT)
      : queryCount(ctx, f, s, reader.maxItemsQuery, 'MaxItems', { input: f.thread.input }, true);
  const config: JsonObject = { ...reader.config };
  if (maxItems !== undefined) config.MaxItems = maxItems;
  requestIo(ctx, f, s, run, 'read', reader.resource, { Parameters: parameters, ReaderConfig: config });
}

/** Selects every item (ItemSelector), so a batcher groups the selected inputs. */
function selectAll(ctx: Ctx, f: Frame, s: CompiledMap, block: MapBlock, items: JsonValue[]): JsonValue[] {
  if (s.itemSelectorQuery !== undefined) {
    const q = s.itemSelectorQuery;
    return items.map((value, index) =>
      runQuery(ctx, f, s, q, { input: f.thread.input }, { item: { index, value } }),
    );
  }
  const selector = s.itemSelector;
  if (selector === undefined) return items;
  return items.map((value, index) => {
    const context = contextObject(ctx, f.thread, s, { item: { index, value } });
    return evaluate(ctx, f, 'ItemSelector', selector, block.input, context);
  });
}

/** Shapes the items into the children's inputs (selected and batched when a batcher is set). */
function beginItems(
  ctx: Ctx,
  f: Frame,
  s: CompiledMap,
  d: CompiledDistributed,
  block: MapBlock,
  items: JsonValue[],
): void {
  const run = block.run as MapRun;
  run.itemCount = items.length;
  let inputs = items;
  const batcher = d.batcher;
  if (batcher !== undefined) {
    const states = { input: f.thread.input };
    const maxItems =
      batcher.maxItemsQuery === undefined
        ? numberField(ctx, f, batcher.maxItems, 'MaxItemsPerBatchPath', POSITIVE, block.input, NO_CONTEXT)
        : queryCount(ctx, f, s, batcher.maxItemsQuery, 'MaxItemsPerBatch', states, true);
    const maxBytes =
      batcher.maxBytesQuery === undefined
        ? numberField(
            ctx,
            f,
            batcher.maxBytes,
            'MaxInputBytesPerBatchPath',
            POSITIVE,
            block.input,
            NO_CONTEXT,
          )
        : queryCount(ctx, f, s, batcher.maxBytesQuery, 'MaxInputBytesPerBatch', states, true);
    let batchInput: JsonValue | undefined;
    if (batcher.batchInputQuery !== undefined)
      batchInput = runQuery(ctx, f, s, batcher.batchInputQuery, states);
    else if (batcher.batchInput !== undefined) {
      const context = s.usesContext ? contextObject(ctx, f.thread, s) : NO_CONTEXT;
      batchInput = evaluate(ctx, f, 'ItemBatcher.BatchInput', batcher.batchInput, block.input, context);
    }
    inputs = batchItems(selectAll(ctx, f, s, block, items), { maxItems, maxBytes }, batchInput);
    run.selected = true;
  }
  // A copy: a settled child's slot is cleared, and the items may be the execution's own input.
  block.items = [...inputs];
  block.remaining = inputs.length;
  block.results = inputs.map(() => null);
  record(ctx, 'MapStateStarted', f.thread.path, s.name, { length: items.length });
  record(ctx, 'MapRunStarted', f.thread.path, s.name, { mapRunArn: run.arn });
}

/** Items a child stands for: the size of its batch, or one. */
export function itemsOf(block: MapBlock, index: number): number {
  const input = block.items[index];
  if (block.run?.selected === true && isJsonObject(input) && Array.isArray(input.Items)) {
    return input.Items.length;
  }
  return 1;
}

/** Whether the run's failed items are more than its tolerance (none tolerated by default). */
export function toleranceExceeded(block: MapBlock): boolean {
  const total = block.run?.itemCount ?? block.items.length;
  const count = block.toleratedFailureCount;
  const percent = block.toleratedFailurePercentage;
  if (count === undefined && percent === undefined) return block.failed > 0;
  return (
    (count !== undefined && block.failed > count) ||
    (percent !== undefined && block.failed * 100 > percent * total)
  );
}

/** Whether a Map keeps its children's records: it writes them, or WriterConfig NONE returns them. */
function keepsRecords(d: CompiledDistributed): boolean {
  return d.writer !== undefined || d.writerConfig?.transformation === 'NONE';
}

/** The record ResultWriter keeps for a settled child, shaped as Step Functions writes it. */
export function childRecord(
  ctx: Ctx,
  d: CompiledDistributed,
  block: MapBlock,
  index: number,
  end: { status: 'SUCCEEDED'; output: JsonValue } | { status: 'FAILED'; error: string; cause: string },
): void {
  const run = block.run;
  if (run === undefined || !keepsRecords(d)) return;
  const { prefix, scope } = runScope(ctx, d);
  const name = childName(run, index);
  const started = run.starts[index] ?? ctx.now;
  const entry: JsonObject = {
    ExecutionArn: `${prefix}execution:${scope}:${name}`,
    Input: JSON.stringify(block.items[index] ?? null),
    InputDetails: { Included: true },
    Name: name,
    RedriveCount: 0,
    RedriveStatus: 'NOT_REDRIVABLE',
    RedriveStatusReason: `Execution is ${end.status} and cannot be redriven`,
    StartDate: new Date(started).toISOString(),
    StateMachineArn: `${prefix}stateMachine:${scope}`,
    Status: end.status,
    StopDate: new Date(ctx.now).toISOString(),
  };
  if (end.status === 'SUCCEEDED') {
    entry.Output = JSON.stringify(end.output);
    entry.OutputDetails = { Included: true };
  } else {
    entry.Error = end.error;
    entry.Cause = end.cause;
  }
  run.records.push(entry);
  delete run.starts[index];
}

/** The steps from the root machine to the Map of frame `f`: each Parallel / Map state, and a branch. */
function processorPath(f: Frame, s: CompiledMap): JsonObject[] {
  const steps: JsonObject[] = [{ State: s.name }];
  for (let child = f, parent = f.parent; parent !== undefined; child = parent, parent = parent.parent) {
    const owner = parent.machine.states.get(parent.thread.state);
    const step: JsonObject = { State: parent.thread.state };
    if (owner?.type === 'Parallel') step.Branch = child.loc[child.loc.length - 1] ?? 0;
    steps.unshift(step);
  }
  return steps;
}

/**
 * Starts one item (or batch) as a child execution: an invoke with a task token, which the runtime hands
 * to whatever starts the child; the Map waits on the token like a callback Task, holding no compute.
 */
export function startChildExecution(
  ctx: Ctx,
  f: Frame,
  s: CompiledMap,
  d: CompiledDistributed,
  block: MapBlock,
  index: number,
  input: JsonValue,
  path: string,
): void {
  const t = f.thread;
  const run = block.run as MapRun;
  const x = ctx.state.context;
  const secret = ctx.graph.taskTokenSecret;
  if (secret === undefined) {
    throw new StatesError(
      STATES_ERRORS.Runtime,
      'its children run as executions but no taskTokenSecret was given to compileGraph',
    );
  }
  const visit = visitOf(t, s.name);
  const invokeId = `${t.path}${s.name}#${visit}.${t.attempt}/child[${index}]`;
  const { prefix, scope } = runScope(ctx, d);
  run.invokes = { ...run.invokes, [index]: invokeId };
  run.starts[index] = ctx.now;
  record(ctx, 'MapIterationStarted', path, s.name, { index });
  addPending(ctx, f.loc, {
    type: 'invoke',
    id: invokeId,
    resource: `${prefix}stateMachine:${scope}`,
    input: {
      Input: input,
      Name: childName(run, index),
      MapRunArn: run.arn,
      Index: index,
      ExecutionType: d.executionType,
      Processor: processorPath(f, s),
      ...(ctx.graph.engineRef === undefined
        ? {}
        : { Engine: ctx.graph.engineRef.engine, Version: ctx.graph.engineRef.version }),
    },
    idempotencyKey: `${x.executionId}:${t.keyPath}${s.name}#${visit}/child[${index}]`,
    taskToken: taskToken(secret(), x.executionId, invokeId, x.startTime),
    stateName: s.name,
    attempt: t.attempt,
    mapRun: 'child',
  });
}

/** The index of the child a `/child[N]` invoke id started. */
function childIndex(run: MapRun, id: string): number | undefined {
  const match = /\/child\[(\d+)\]$/.exec(id);
  if (match === null || run.invokes?.[match[1] as string] !== id) return undefined;
  return Number(match[1]);
}

/** A child execution's name: the map run's id and the child's index. */
function childName(run: MapRun, index: number): string {
  return `${run.id.slice(0, 8)}-${index}`;
}

/** What the ResultWriter's invoke asks to write. */
function writeRequest(run: MapRun, d: CompiledDistributed): JsonObject {
  const request: JsonObject = {
    Parameters: run.writer ?? {},
    MapRunArn: run.arn,
    MapRunId: run.id,
    Executions: run.records,
  };
  const config = d.writerConfig;
  if (config !== undefined) {
    request.WriterConfig = { OutputType: config.outputType, Transformation: config.transformation };
  }
  return request;
}

/**
 * The records of the children that never started, as Step Functions lists them in `PENDING_n.json`
 * when a run fails: their input, and status PENDING.
 */
function pendingRecords(block: MapBlock): JsonValue[] {
  return block.items
    .slice(block.next)
    .map((item) => ({ Input: JSON.stringify(item), InputDetails: { Included: true }, Status: 'PENDING' }));
}

/** Every child settled within the tolerance: write the results (the Map then waits), or return them. */
export function finishMapRun(
  ctx: Ctx,
  f: Frame,
  s: CompiledMap,
  d: CompiledDistributed,
  block: MapBlock,
): void {
  const run = block.run as MapRun;
  if (d.writer !== undefined) {
    requestIo(ctx, f, s, run, 'write', d.writer.resource, writeRequest(run, d));
    return;
  }
  // WriterConfig alone shapes the output: the records (NONE), or the outputs in item order.
  const transformation = d.writerConfig?.transformation;
  const output =
    transformation === 'NONE'
      ? run.records
      : transformation === 'FLATTEN'
        ? flattenOutputs(block.results)
        : block.results;
  f.thread.block = undefined;
  record(ctx, 'MapRunSucceeded', f.thread.path, s.name, { mapRunArn: run.arn });
  record(ctx, 'MapStateSucceeded', f.thread.path, s.name, { output });
  succeedWithResult(ctx, f, s, output);
}

/** The run failed (tolerance exceeded): cancel the children, fail the Map. */
export function failMapRun(ctx: Ctx, f: Frame, s: CompiledMap, block: MapBlock, index: number): void {
  const run = block.run as MapRun;
  cancelThread(ctx, f.thread);
  const error = STATES_ERRORS.ExceedToleratedFailureThreshold;
  const cause = `Map state '${s.name}': ${block.failed} of ${run.itemCount} items failed, above the tolerated failures`;
  const d = s.distributed;
  const writer = d?.writer;
  if (d !== undefined && writer !== undefined) {
    // As Step Functions does, the results so far are written before the Map fails.
    block.children = {};
    block.running = 0;
    run.invokes = {};
    run.failure = { error, cause };
    run.records.push(...pendingRecords(block));
    f.thread.block = block;
    requestIo(ctx, f, s, run, 'write', writer.resource, writeRequest(run, d));
    return;
  }
  record(ctx, 'MapRunFailed', f.thread.path, s.name, { mapRunArn: run.arn, error, cause });
  record(ctx, 'MapStateFailed', f.thread.path, s.name, { index, error, cause });
  failState(ctx, f, s, error, cause);
}

/** Starts as many of a Map's items as its concurrency allows (the inline Map's own function). */
type StartItems = typeof pumpMap;
/** Records how one item ended (the inline Map's own function). */
type SettleItem = typeof settleItem;

/** A child execution was handed over, or ended: settle it and start the next. */
function childExecutionEvent(
  ctx: Ctx,
  f: Frame,
  s: CompiledMap,
  block: MapBlock,
  run: MapRun,
  index: number,
  event: ExecutionEvent,
  start: StartItems,
  settle: SettleItem,
): boolean {
  if (event.type === 'TaskSubmitted') {
    const pending = ctx.pendingIndex.get(ctx.state, event.id);
    if (pending !== undefined) pending.submitted = true;
    return false;
  }
  if (event.type !== 'TaskSucceeded' && event.type !== 'TaskFailed') return false;
  ctx.pendingIndex.remove(ctx.state, event.id);
  const invokes = { ...run.invokes };
  delete invokes[index];
  run.invokes = invokes;
  const end: ThreadEnd =
    event.type === 'TaskSucceeded'
      ? { status: 'SUCCEEDED', output: event.output }
      : { status: 'FAILED', error: event.error, cause: event.cause };
  settle(ctx, f, s, block, index, end, `${event.id}/`);
  if (f.thread.block === block) start(ctx, f, s, block);
  return true;
}

/** The answer to the run's S3 read (the items) or write (the details): go on, or fail the Map. */
export function mapRunEvent(
  ctx: Ctx,
  f: Frame,
  s: CompiledMap,
  block: MapBlock,
  event: ExecutionEvent,
  start: StartItems,
  settle: SettleItem,
): boolean {
  const run = block.run;
  const d = s.distributed;
  if (run === undefined || d === undefined) return false;
  const index = childIndex(run, event.id);
  if (index !== undefined) return childExecutionEvent(ctx, f, s, block, run, index, event, start, settle);
  if (run.io === undefined || run.io.invokeId !== event.id) return false;
  if (event.type !== 'TaskSucceeded' && event.type !== 'TaskFailed') return false;
  const phase = run.io.phase;
  ctx.pendingIndex.remove(ctx.state, event.id);
  run.io = undefined;
  if (event.type === 'TaskFailed') {
    f.thread.block = undefined;
    const error =
      event.error.startsWith('States.') || phase === 'write' ? event.error : STATES_ERRORS.ItemReaderFailed;
    record(ctx, 'MapRunFailed', f.thread.path, s.name, { mapRunArn: run.arn, error, cause: event.cause });
    failState(ctx, f, s, error, event.cause);
    return true;
  }
  if (phase === 'write' && run.failure !== undefined) {
    const { error, cause } = run.failure;
    f.thread.block = undefined;
    record(ctx, 'MapRunFailed', f.thread.path, s.name, { mapRunArn: run.arn, error, cause });
    record(ctx, 'MapStateFailed', f.thread.path, s.name, { error, cause });
    failState(ctx, f, s, error, cause);
    return true;
  }
  if (phase === 'write') {
    f.thread.block = undefined;
    record(ctx, 'MapRunSucceeded', f.thread.path, s.name, { mapRunArn: run.arn });
    record(ctx, 'MapStateSucceeded', f.thread.path, s.name, { output: event.output });
    succeedWithResult(ctx, f, s, event.output);
    return true;
  }
  const items = event.output;
  try {
    if (!Array.isArray(items)) {
      throw new StatesError(
        STATES_ERRORS.ItemReaderFailed,
        `the ItemReader of Map state '${s.name}' gave ${items === null ? 'null' : typeof items}, not an array of items`,
      );
    }
    beginItems(ctx, f, s, d, block, items);
  } catch (error) {
    f.thread.block = undefined;
    const e = stateError(f, s, error);
    failState(ctx, f, s, e.error, e.cause);
    return true;
  }
  if (block.items.length === 0) finishMapRun(ctx, f, s, d, block);
  else start(ctx, f, s, block);
  return true;
}
