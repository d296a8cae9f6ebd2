/**
 * Test helpers for the interpreter: a graph factory, a synchronous driver of the pure transition
 * function (invokes answered by a handler, timers fired in due order on a simulated time line), and a
 * compact view of the history for whole-run comparisons.
 */
import {
  applyEvent,
  type CompiledGraph,
  type CompileOptions,
  compileGraph,
  type Effect,
  type ExecutionEvent,
  type ExecutionState,
  type HistoryEvent,
  type InvokeEffect,
  type InvokeOutcome,
  SizeBounds,
  startExecution,
} from '../../../../router/asl/interpreter/index.ts';
import type { EngineGraph, JsonValue, State, TaskState } from '../../../../router/asl/types.ts';

/** 2026-01-01T00:00:00Z, the start of every test execution. */
export const T0 = Date.parse('2026-01-01T00:00:00.000Z');

/** Compiles a graph given as `StartAt` + `States`. */
export function graphOf(
  startAt: string,
  states: Record<string, State>,
  options: CompileOptions = {},
  extra: Partial<EngineGraph> = {},
): CompiledGraph {
  return compileGraph({ StartAt: startAt, States: states, ...extra }, options);
}

/** A Task state invoking `resource` (resources are opaque names in unit tests). */
export function task(resource: string, fields: Omit<TaskState, 'Type' | 'Resource'> = {}): TaskState {
  const end = 'Next' in fields ? {} : { End: true };
  return { Type: 'Task', Resource: resource, ...end, ...fields };
}

/** Answers an invoke; `undefined` leaves it unanswered (in flight). */
export type Handler = (effect: InvokeEffect, now: number) => InvokeOutcome | undefined;

/** What {@link drive} saw. */
export interface Drive {
  state: ExecutionState;
  history: HistoryEvent[];
  invokes: InvokeEffect[];
  timers: Effect[];
  cancels: string[];
  now: number;
}

/**
 * Runs an execution to its end with the pure functions only: answers every invoke at once with
 * `handler` (or leaves it in flight), and fires the earliest timer when nothing else is left to do.
 * Like the runtime, it keeps one SizeBounds for the whole run (or uses the one given).
 */
export function drive(
  graph: CompiledGraph,
  input: JsonValue,
  handler: Handler,
  options: {
    executionId?: string;
    state?: ExecutionState;
    now?: number;
    maxSteps?: number;
    sizes?: SizeBounds;
  } = {},
): Drive {
  let now = options.now ?? T0;
  const transition = { sizes: options.sizes ?? new SizeBounds() };
  const seen: Omit<Drive, 'state'> = { history: [], invokes: [], timers: [], cancels: [], now };
  const queue: ExecutionEvent[] = [];
  const timers = new Map<string, number>();
  const inFlight = new Set<string>();
  const perform = (effects: readonly Effect[]): void => {
    for (const effect of effects) {
      if (effect.type === 'invoke') {
        seen.invokes.push(effect);
        const outcome = handler(effect, now);
        if (outcome === undefined) inFlight.add(effect.id);
        else if ('pending' in outcome) queue.push({ type: 'TaskSubmitted', id: effect.id });
        else if (outcome.ok) queue.push({ type: 'TaskSucceeded', id: effect.id, output: outcome.output });
        else queue.push({ type: 'TaskFailed', id: effect.id, error: outcome.error, cause: outcome.cause });
      } else if (effect.type === 'timer') {
        seen.timers.push(effect);
        timers.set(effect.id, effect.dueAt);
      } else {
        seen.cancels.push(effect.id);
        timers.delete(effect.id);
        inFlight.delete(effect.id);
      }
    }
  };
  let state: ExecutionState;
  if (options.state === undefined) {
    const step = startExecution(
      graph,
      { executionId: options.executionId ?? 'exec-1', input, startTime: now },
      now,
      transition,
    );
    state = step.state;
    seen.history.push(...step.history);
    perform(step.effects);
  } else {
    state = options.state;
    for (const p of state.pending) {
      if (p.effect.type === 'timer') timers.set(p.effect.id, p.effect.dueAt);
      else if (p.submitted !== true) perform([p.effect]);
    }
  }
  let steps = 0;
  while (state.status === 'RUNNING' && steps++ < (options.maxSteps ?? 100_000)) {
    let event = queue.shift();
    if (event === undefined) {
      let next: [string, number] | undefined;
      for (const entry of timers) if (next === undefined || entry[1] < next[1]) next = entry;
      if (next === undefined) break;
      timers.delete(next[0]);
      now = Math.max(now, next[1]);
      event = { type: 'TimerFired', id: next[0] };
    }
    const step = applyEvent(graph, state, event, now, transition);
    seen.history.push(...step.history);
    perform(step.effects);
  }
  return { ...seen, state, now };
}

/** Answers every invoke with its input (an echo step). */
export const echo: Handler = (effect) => ({ ok: true, output: effect.input });

/** `type stateName` lines (thread prefix included) for whole-history comparisons. */
export function outline(history: readonly HistoryEvent[]): string[] {
  return history.map((h) => `${h.type}${h.stateName === undefined ? '' : ` ${h.thread}${h.stateName}`}`);
}

/** A deep copy through JSON, as a checkpoint store would make. */
export function roundTrip<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
