/**
 * A distributed Map's children through the stream: each `mapRun: 'child'` invoke (one item or batch)
 * becomes a child start record on the router's own stream, keyed by a name derived from the parent's
 * execution, the Map's visit and the child's index, so the children spread over every shard and a
 * repeated start is one execution. The child runs the Map's item processor of the parent's version (its
 * record's parent link names the processor, so a resume after a durable wait or a callback, and a redrive,
 * run it too) and settles the parent's task token with its raw output or error when it ends; the parent waits on the
 * tokens holding no compute, and settles each child against its tolerance as it answers.
 *
 * ```
 * parent Map ──child invoke (token)──> start record { engine, enginequalifier: VERSION, mapprocessor,
 *    │                                                parenttoken, parentshape: raw, data: batch }
 *    │                                   ──stream──> child: processorGraph(engine@VERSION) ──ends──┐
 *    └──WAITING on N tokens <── task-result record (stream, keyed by the parent) <────────────────┘
 * ```
 */
import type { CompiledGraph, InvokeEffect, JsonValue } from '../asl/index.ts';
import { isJsonObject, processorGraph, readTaskTokenLocator } from '../asl/index.ts';
import type { InvokeOutcome, TaskInvoker } from '../invoke/index.ts';
import type { LoadedEngine } from '../registry/index.ts';
import { type ArnScope, childIdentity, childStartRecord, type StreamRecord } from './NestedExecutions.ts';
import type { ParentLink } from './parentLink.ts';

/** The start record's attribute naming the item processor a child runs (JSON of the steps to it). */
const MAP_PROCESSOR = 'mapprocessor';

/** What starting map children needs: the stream, the clock, and the scope of the ARNs. */
export interface MapChildDeps extends ArnScope {
  readonly put: (record: StreamRecord) => Promise<void>;
  readonly now: () => number;
}

function fail(error: string, cause: string): InvokeOutcome {
  return { ok: false, error, cause };
}

/** Puts one child's start record; the parent then waits on the invoke's token. */
async function startMapChild(effect: InvokeEffect, deps: MapChildDeps): Promise<InvokeOutcome> {
  const request = isJsonObject(effect.input) ? effect.input : {};
  const where = `Map state '${effect.stateName}'`;
  const { Engine: engine, Version: version } = request;
  if (typeof engine !== 'string' || typeof version !== 'number') {
    return fail(
      'States.Runtime',
      `${where}: its children run the parent's published version, and it has none`,
    );
  }
  const child = childIdentity({}, effect.idempotencyKey, { engine, qualifier: String(version) }, deps);
  if ('invalid' in child) return fail('States.Runtime', `${where}: ${child.invalid}`);
  const token = effect.taskToken;
  const locator = token === undefined ? undefined : readTaskTokenLocator(token);
  if (token === undefined || locator === undefined || 'invalid' in locator) {
    return fail('States.Runtime', `${where}: a child execution needs a task token`);
  }
  const now = deps.now();
  const parent: ParentLink = {
    executionId: locator.executionId,
    invokeId: effect.id,
    token,
    shape: 'raw',
    startDate: now,
    processor: request.Processor ?? [],
  };
  const record = childStartRecord(child, request.Input ?? null, parent, now);
  await deps.put({
    partitionKey: record.partitionKey,
    data: { ...record.data, [MAP_PROCESSOR]: JSON.stringify(request.Processor ?? []) },
  });
  return { pending: 'callback' };
}

/** An invoker that starts distributed Map children through the stream and hands the rest to `invoke`. */
export function withMapChildren(invoke: TaskInvoker, deps: MapChildDeps): TaskInvoker {
  return (effect, signal) =>
    effect.mapRun === 'child' ? startMapChild(effect, deps) : invoke(effect, signal);
}

/** The item processor a child start record names (the steps to its Map), or undefined for any other. */
export function mapProcessorOf(event: {
  readonly [attribute: string]: JsonValue | undefined;
}): JsonValue | undefined {
  const text = event[MAP_PROCESSOR];
  if (typeof text !== 'string') return undefined;
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return undefined;
  }
}

/**
 * The graph an execution runs on its pinned version: the version's own, or for a distributed Map's
 * child (its parent link names a processor) that Map's item processor; undefined when the version has
 * no distributed Map at those steps.
 */
export function executionGraph(
  loaded: LoadedEngine<CompiledGraph>,
  parent: ParentLink | undefined,
): LoadedEngine<CompiledGraph> | undefined {
  if (parent?.processor === undefined) return loaded;
  const compiled = processorGraph(loaded.compiled, parent.processor);
  return compiled === undefined ? undefined : { ...loaded, compiled };
}
