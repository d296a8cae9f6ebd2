/**
 * The inline Map state: one child thread per item of ItemsPath (ItemSelector shapes each item's input),
 * at most MaxConcurrency at a time; the result is the array of item outputs. Without a tolerance the
 * first failed item fails the Map; with ToleratedFailureCount / Percentage a failed item keeps
 * `{ Error, Cause }` in its slot until the tolerance is exceeded.
 */
import { STATES_ERRORS, StatesError } from '../../errors.ts';
import { expectType } from '../../expressions/index.ts';
import type { JsonValue } from '../../types.ts';
import { stateError } from '../causes.ts';
import type { CompiledMap, Query } from '../compiled.ts';
import {
  applyIo,
  type Ctx,
  contextObject,
  evaluate,
  type Frame,
  NO_CONTEXT,
  type NumberRule,
  numberField,
  record,
} from '../ctx.ts';
import { checkSize } from '../payload-limit.ts';
import { queryCount, runQuery } from '../query.ts';
import { succeedWithResult } from '../result.ts';
import { failState } from '../retry-catch.ts';
import type { MapBlock, ThreadEnd } from '../state.ts';
import { cancelThread, childPaths, enter, newThread } from '../threads.ts';
import {
  childRecord,
  failMapRun,
  finishMapRun,
  itemsOf,
  startChildExecution,
  startMapRun,
  toleranceExceeded,
} from './distributedMap.ts';

/** A count or percentage selected by a path. */
const NON_NEGATIVE: NumberRule = {
  accepts: (n) => n >= 0 && Number.isFinite(n),
  expected: 'a non-negative number',
};

/** Runs a Map state: selects its items and starts as many as MaxConcurrency allows. */
export function executeMap(ctx: Ctx, f: Frame, s: CompiledMap): void {
  const t = f.thread;
  const context = s.usesContext && !s.jsonata ? contextObject(ctx, t, s) : NO_CONTEXT;
  const effective = applyIo(s.inputPath, t.input, context, ctx, 'InputPath', f);
  const states = { input: t.input };
  const reads = s.distributed?.reader !== undefined;
  const items = reads ? [] : selectItems(ctx, f, s, effective, context);
  const fromQuery = (q: Query | undefined, field: string): number | undefined =>
    q === undefined
      ? undefined
      : queryCount(ctx, f, s, q, field, states, field !== 'ToleratedFailurePercentage');
  const maxConcurrency =
    fromQuery(s.maxConcurrencyQuery, 'MaxConcurrency') ??
    numberField(ctx, f, s.maxConcurrency, 'MaxConcurrencyPath', NON_NEGATIVE, effective, context) ??
    0;
  const block: MapBlock = {
    kind: 'map',
    input: effective,
    items,
    next: 0,
    running: 0,
    remaining: items.length,
    failed: 0,
    maxConcurrency: Math.floor(maxConcurrency),
    children: {},
    results: items.map(() => null),
  };
  const count =
    fromQuery(s.toleratedFailureCountQuery, 'ToleratedFailureCount') ??
    numberField(
      ctx,
      f,
      s.toleratedFailureCount,
      'ToleratedFailureCountPath',
      NON_NEGATIVE,
      effective,
      context,
    );
  const percent =
    fromQuery(s.toleratedFailurePercentageQuery, 'ToleratedFailurePercentage') ??
    numberField(
      ctx,
      f,
      s.toleratedFailurePercentage,
      'ToleratedFailurePercentagePath',
      NON_NEGATIVE,
      effective,
      context,
    );
  if (count !== undefined) block.toleratedFailureCount = count;
  if (percent !== undefined) block.toleratedFailurePercentage = percent;
  if (s.distributed !== undefined) {
    startMapRun(ctx, f, s, s.distributed, block, items);
    if (t.block === block && block.run?.io === undefined) {
      if (block.items.length === 0) finishMapRun(ctx, f, s, s.distributed, block);
      else pumpMap(ctx, f, s, block);
    }
    return;
  }
  t.block = block;
  record(ctx, 'MapStateStarted', t.path, s.name, { length: items.length });
  if (items.length === 0) {
    t.block = undefined;
    record(ctx, 'MapStateSucceeded', t.path, s.name, { output: [] });
    succeedWithResult(ctx, f, s, []);
    return;
  }
  pumpMap(ctx, f, s, block);
}

/** The items of an inline Map (or a distributed one without ItemReader): ItemsPath, or JSONata Items. */
function selectItems(
  ctx: Ctx,
  f: Frame,
  s: CompiledMap,
  effective: JsonValue,
  context: JsonValue,
): JsonValue[] {
  const t = f.thread;
  const states = { input: t.input };
  let items: JsonValue;
  if (s.jsonata) {
    items =
      s.items === undefined
        ? t.input
        : expectType(runQuery(ctx, f, s, s.items, states), 'array', s.name, 'Items', undefined);
    if (!Array.isArray(items)) {
      throw new StatesError(
        STATES_ERRORS.QueryEvaluationError,
        `An error occurred while executing the state '${s.name}'. Map state input must be an array but was: ${JSON.stringify(items)}`,
      );
    }
  } else {
    items =
      s.itemsPath === undefined ? effective : evaluate(ctx, f, 'ItemsPath', s.itemsPath, effective, context);
  }
  if (!Array.isArray(items)) {
    throw new StatesError(
      STATES_ERRORS.Runtime,
      `ItemsPath must select an array, got ${items === null ? 'null' : typeof items}`,
    );
  }
  return items;
}

/** Starts Map items while the concurrency bound allows; items that end at once are settled in the loop. */
export function pumpMap(ctx: Ctx, f: Frame, s: CompiledMap, block: MapBlock): void {
  const t = f.thread;
  while (
    t.block === block &&
    block.run?.failure === undefined &&
    block.next < block.items.length &&
    (block.maxConcurrency === 0 || block.running < block.maxConcurrency)
  ) {
    const index = block.next;
    block.next += 1;
    const value = block.items[index] as JsonValue;
    let input = value;
    let inputBound = Number.NaN;
    if (block.run !== undefined) block.run.starts[index] = ctx.now;
    if (block.run?.selected !== true && (s.itemSelector !== undefined || s.itemSelectorQuery !== undefined)) {
      try {
        if (s.itemSelectorQuery !== undefined) {
          input = runQuery(ctx, f, s, s.itemSelectorQuery, { input: t.input }, { item: { index, value } });
        } else if (s.itemSelector !== undefined) {
          const context = contextObject(ctx, t, s, { item: { index, value } });
          input = evaluate(ctx, f, 'ItemSelector', s.itemSelector, block.input, context);
        }
        inputBound = checkSize(ctx, input, `The input of item ${index} of Map state`, s.name);
      } catch (error) {
        const e = stateError(f, s, error, index);
        cancelThread(ctx, t);
        record(ctx, 'MapStateFailed', t.path, s.name, { index, error: e.error, cause: e.cause });
        failState(ctx, f, s, e.error, e.cause);
        return;
      }
    }
    const [path, keyPath] = childPaths(t, s, index);
    if (s.distributed !== undefined && ctx.graph.mapChildren === 'executions') {
      block.running += 1;
      startChildExecution(ctx, f, s, s.distributed, block, index, input, path);
      continue;
    }
    const child = newThread(path, keyPath, ctx.now);
    block.children[index] = child;
    block.running += 1;
    ctx.sizes.carry(child, input, inputBound);
    record(ctx, 'MapIterationStarted', child.path, s.name, { index });
    const frame: Frame = { thread: child, machine: s.processor, loc: [...f.loc, index], parent: f };
    enter(ctx, frame, s.processor.startAt, input);
    ctx.advance(ctx, frame);
    if (child.end !== undefined) mapChildEnded(ctx, f, s, block, index);
  }
}

/** A thread item ended: settle it. */
export function mapChildEnded(ctx: Ctx, f: Frame, s: CompiledMap, block: MapBlock, index: number): void {
  const child = block.children[index];
  const end = child?.end;
  if (child === undefined || end === undefined) return;
  delete block.children[index];
  settleItem(ctx, f, s, block, index, end, child.path);
}

/**
 * An item (a thread, or a child execution) ended: keep its output (or its tolerated error), or fail the
 * Map (cancelling the others); the last one ends the Map.
 */
export function settleItem(
  ctx: Ctx,
  f: Frame,
  s: CompiledMap,
  block: MapBlock,
  index: number,
  end: ThreadEnd,
  path: string,
): void {
  const t = f.thread;
  const child = { path };
  block.running -= 1;
  block.remaining -= 1;
  const d = s.distributed;
  if (d !== undefined) childRecord(ctx, d, block, index, end);
  const weight = d === undefined ? 1 : itemsOf(block, index);
  // A settled child's input is not needed again (a ResultWriter's record keeps it), nor, with a
  // ResultWriter, its output: the state every child's answer reads again holds what is pending.
  if (d !== undefined) block.items[index] = null;
  const keep = d?.writer === undefined;
  if (end.status === 'SUCCEEDED') {
    block.results[index] = keep ? end.output : null;
    record(ctx, 'MapIterationSucceeded', child.path, s.name, { index, output: end.output });
  } else if (d !== undefined) {
    block.failed += weight;
    block.results[index] = keep ? { Error: end.error, Cause: end.cause } : null;
    record(ctx, 'MapIterationFailed', child.path, s.name, { index, error: end.error, cause: end.cause });
    if (toleranceExceeded(block)) {
      failMapRun(ctx, f, s, block, index);
      return;
    }
  } else {
    block.failed += 1;
    block.results[index] = { Error: end.error, Cause: end.cause };
    record(ctx, 'MapIterationFailed', child.path, s.name, { index, error: end.error, cause: end.cause });
    const count = block.toleratedFailureCount;
    const percent = block.toleratedFailurePercentage;
    const tolerant = count !== undefined || percent !== undefined;
    const exceeded =
      !tolerant ||
      (count !== undefined && block.failed > count) ||
      (percent !== undefined && block.failed * 100 > percent * block.items.length);
    if (exceeded) {
      cancelThread(ctx, t);
      const error = tolerant ? STATES_ERRORS.ExceedToleratedFailureThreshold : end.error;
      const cause = tolerant
        ? `Map state '${s.name}': ${block.failed} of ${block.items.length} items failed, above the tolerated failures`
        : end.cause;
      record(ctx, 'MapStateFailed', t.path, s.name, { index, error, cause });
      failState(ctx, f, s, error, cause);
      return;
    }
  }
  if (block.remaining > 0) return;
  if (s.distributed !== undefined) {
    finishMapRun(ctx, f, s, s.distributed, block);
    return;
  }
  t.block = undefined;
  record(ctx, 'MapStateSucceeded', t.path, s.name, { output: block.results });
  succeedWithResult(ctx, f, s, block.results);
}
