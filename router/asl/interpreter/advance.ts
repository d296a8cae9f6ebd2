/**
 * The dispatcher: runs a thread's states one after the other, each by the module of its type, until the
 * thread is blocked (on an invoke, a timer or its children) or ends; and hands a child thread's end to
 * its Parallel or Map parent.
 */

import { stateError } from './causes.ts';
import type { CompiledState } from './compiled.ts';
import { type Ctx, ExecutionAbort, type Frame, stateOf } from './ctx.ts';
import { failState } from './retry-catch.ts';
import { executeChoice } from './states/choice.ts';
import { executeMap, mapChildEnded, pumpMap } from './states/map.ts';
import { executeParallel, parallelChildEnded } from './states/parallel.ts';
import { executePass } from './states/pass.ts';
import { executeFail, executeSucceed } from './states/succeed-fail.ts';
import { executeTask } from './states/task.ts';
import { executeWait } from './states/wait.ts';

/** Runs a thread until it is blocked or ends; an error in a state goes to its Retry / Catch. */
export function advance(ctx: Ctx, f: Frame): void {
  const t = f.thread;
  while (t.block === undefined && t.end === undefined) {
    const s = stateOf(f.machine, t.state);
    try {
      execute(ctx, f, s);
    } catch (error) {
      if (error instanceof ExecutionAbort) throw error;
      const e = stateError(f, s, error);
      failState(ctx, f, s, e.error, e.cause);
    }
  }
}

function execute(ctx: Ctx, f: Frame, s: CompiledState): void {
  switch (s.type) {
    case 'Task':
      executeTask(ctx, f, s);
      return;
    case 'Pass':
      executePass(ctx, f, s);
      return;
    case 'Choice':
      executeChoice(ctx, f, s);
      return;
    case 'Wait':
      executeWait(ctx, f, s);
      return;
    case 'Succeed':
      executeSucceed(ctx, f, s);
      return;
    case 'Fail':
      executeFail(ctx, f, s);
      return;
    case 'Parallel':
      executeParallel(ctx, f, s);
      return;
    case 'Map':
      executeMap(ctx, f, s);
      return;
  }
}

/** A child thread ended: let its Parallel / Map parent settle it (and start queued Map items). */
export function childEnded(ctx: Ctx, parent: Frame, index: number): void {
  const s = stateOf(parent.machine, parent.thread.state);
  const block = parent.thread.block;
  if (block?.kind === 'parallel' && s.type === 'Parallel') {
    parallelChildEnded(ctx, parent, s, block, index);
  } else if (block?.kind === 'map' && s.type === 'Map') {
    mapChildEnded(ctx, parent, s, block, index);
    if (parent.thread.block === block) pumpMap(ctx, parent, s, block);
  }
}
