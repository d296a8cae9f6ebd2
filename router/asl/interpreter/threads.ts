/**
 * Thread bookkeeping: entering and leaving states (the transition count, visits, history), the invokes
 * and timers a thread waits on (recorded as pending and handed out as effects), and cancelling them when
 * a thread stops waiting.
 */
import { STATES_ERRORS } from '../errors.ts';
import type { JsonObject, JsonValue } from '../types.ts';
import type { CompiledState } from './compiled.ts';
import { type Ctx, ExecutionAbort, type Frame, record, stateOf } from './ctx.ts';
import type { InvokeEffect, ThreadState, TimerEffect, TimerReason } from './state.ts';

/** A thread that has entered no state yet. */
export function newThread(path: string, keyPath: string, now: number): ThreadState {
  return { path, keyPath, state: '', input: null, enteredAt: now, visits: {}, attempt: 0 };
}

/** Which visit of the state the thread is on (a loop re-enters a state). */
export function visitOf(t: ThreadState, name: string): number {
  return t.visits[name] ?? 1;
}

function enterState(ctx: Ctx, t: ThreadState, name: string, input: JsonValue): void {
  const st = ctx.state;
  st.transitions += 1;
  if (st.transitions > ctx.graph.maxTransitions) {
    throw new ExecutionAbort(
      STATES_ERRORS.Runtime,
      `The execution exceeded the limit of ${ctx.graph.maxTransitions} state transitions (maxTransitions) when entering state '${name}'`,
    );
  }
  t.state = name;
  t.input = input;
  t.enteredAt = ctx.now;
  t.attempt = 0;
  if (t.retries !== undefined) t.retries = undefined;
  t.visits[name] = (t.visits[name] ?? 0) + 1;
}

/** Enters a state of the frame's machine with its raw input (one transition). */
export function enter(ctx: Ctx, f: Frame, name: string, input: JsonValue): void {
  const s = stateOf(f.machine, name);
  enterState(ctx, f.thread, name, input);
  record(ctx, s.entered, f.thread.path, name, { input });
}

/** Records an invoke or timer the thread at `loc` waits on, and hands it to the runtime. */
export function addPending(ctx: Ctx, loc: number[], effect: InvokeEffect | TimerEffect): void {
  ctx.pendingIndex.add(ctx.state, { effect, loc });
  ctx.effects.push(effect);
}

/** A timer the thread at `loc` waits on. */
export function addTimer(ctx: Ctx, loc: number[], id: string, dueAt: number, reason: TimerReason): void {
  addPending(ctx, loc, { type: 'timer', id, dueAt, reason });
}

/** Stops waiting on an invoke or timer, if it is still pending. */
export function cancelId(ctx: Ctx, id: string | undefined): void {
  if (id === undefined) return;
  const entry = ctx.pendingIndex.get(ctx.state, id);
  if (!ctx.pendingIndex.remove(ctx.state, id)) return;
  const effect = entry?.effect;
  if (entry?.submitted === true && effect?.type === 'invoke')
    ctx.effects.push({ type: 'cancel', id, stops: effect });
  else ctx.effects.push({ type: 'cancel', id });
}

/** Cancels everything a thread (and its children) waits on. */
export function cancelThread(ctx: Ctx, t: ThreadState): void {
  const b = t.block;
  if (b === undefined) return;
  switch (b.kind) {
    case 'task':
      cancelId(ctx, b.invokeId);
      cancelId(ctx, b.timeoutId);
      cancelId(ctx, b.heartbeatId);
      cancelId(ctx, b.pollId);
      break;
    case 'wait':
    case 'retry':
      cancelId(ctx, b.timerId);
      break;
    case 'parallel':
    case 'map':
      if (b.kind === 'map') {
        cancelId(ctx, b.run?.io?.invokeId);
        for (const id of Object.values(b.run?.invokes ?? {})) cancelId(ctx, id);
      }
      for (const [index, child] of Object.entries(b.children)) {
        cancelThread(ctx, child);
        record(ctx, b.kind === 'map' ? 'MapIterationAborted' : 'ParallelBranchAborted', child.path, t.state, {
          index: Number(index),
        });
      }
      break;
  }
  t.block = undefined;
}

/**
 * Leaves a state with its output: sets the variables it assigned (from here on its scope sees them),
 * then goes to Next, or ends the thread.
 */
export function finishState(
  ctx: Ctx,
  f: Frame,
  s: CompiledState,
  output: JsonValue,
  next?: string,
  assigned?: JsonObject,
): void {
  if (assigned === undefined) record(ctx, s.exited, f.thread.path, s.name, { output });
  else {
    f.thread.vars = { ...f.thread.vars, ...assigned };
    record(ctx, s.exited, f.thread.path, s.name, { output, assignedVariables: assigned });
  }
  const target = next ?? s.next;
  if (s.type === 'Succeed' || s.end || target === undefined) {
    f.thread.end = { status: 'SUCCEEDED', output };
    return;
  }
  enter(ctx, f, target, output);
}

/** Prefixes of a Parallel branch / Map item thread: the parent state with its visit (and attempt for ids). */
export function childPaths(t: ThreadState, s: CompiledState, index: number): [string, string] {
  const visit = visitOf(t, s.name);
  return [`${t.path}${s.name}#${visit}.${t.attempt}[${index}]/`, `${t.keyPath}${s.name}#${visit}[${index}]/`];
}
