/**
 * Where a standard engine's executions write their state, decided once per loaded version: from the
 * graph's own `Checkpoint` field and the deployment's `ROUTER_CHECKPOINT_AFTER_MS`. See
 * docs/durable-executions.md for the choice and its trade-off.
 */
import type { CompiledGraph, EngineGraph, JsonValue } from '../asl/index.ts';
import type { LoadedEngine } from '../registry/index.ts';
import type { CheckpointPolicy } from './execute.ts';

/** How a version's executions checkpoint. */
export interface VersionCheckpoints {
  readonly policy: CheckpointPolicy;
  /**
   * False when a Task hands out a task token (`.waitForTaskToken`, an activity), whose holder answers by
   * the execution's id, or when the graph asks for a write after every step: the execution is claimed
   * in the store before it runs. Otherwise a new message runs first and is written once, finished (or
   * at its first checkpoint).
   */
  readonly runBeforeClaim: boolean;
}

const byVersion = new WeakMap<LoadedEngine<CompiledGraph>, VersionCheckpoints>();

/** True when some Task of the graph, at any depth, hands out a task token. */
function handsOutTokens(value: JsonValue | undefined): boolean {
  if (Array.isArray(value)) return value.some(handsOutTokens);
  if (value === null || typeof value !== 'object') return false;
  const resource = value.Resource;
  if (
    typeof resource === 'string' &&
    (resource.endsWith('.waitForTaskToken') || resource.includes(':activity:'))
  ) {
    return true;
  }
  return Object.values(value).some(handsOutTokens);
}

/**
 * The checkpoints of a loaded version. The lease bounds the time between writes too: a running
 * execution whose lease lapses is taken over by the sweep, so it writes (and extends it) well before.
 */
export function checkpointsOf(
  loaded: LoadedEngine<CompiledGraph>,
  settings: { readonly checkpointAfterMs: number; readonly leaseMs: number },
): VersionCheckpoints {
  let found = byVersion.get(loaded);
  if (found === undefined) {
    const graph: EngineGraph = loaded.graph;
    const everyStep = graph.Checkpoint === 'every-step';
    found = {
      policy: { everyStep, afterMs: Math.min(settings.checkpointAfterMs, settings.leaseMs / 2) },
      runBeforeClaim: !everyStep && !handsOutTokens(graph as unknown as JsonValue),
    };
    byVersion.set(loaded, found);
  }
  return found;
}
