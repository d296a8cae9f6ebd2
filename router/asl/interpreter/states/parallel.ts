/**
 * The Parallel state: one child thread per branch, all given the same input; the result is the array of
 * branch outputs once every branch succeeded, and the first branch to fail cancels the others.
 */
import type { CompiledMachine, CompiledParallel } from '../compiled.ts';
import { applyIo, type Ctx, contextObject, evaluate, type Frame, NO_CONTEXT, record } from '../ctx.ts';
import { checkSize } from '../payload-limit.ts';
import { runQuery } from '../query.ts';
import { succeedWithResult } from '../result.ts';
import { failState } from '../retry-catch.ts';
import type { ParallelBlock } from '../state.ts';
import { cancelThread, childPaths, enter, newThread } from '../threads.ts';

/** Runs a Parallel state: starts every branch and runs each until it waits or ends. */
export function executeParallel(ctx: Ctx, f: Frame, s: CompiledParallel): void {
  const t = f.thread;
  const context = s.usesContext ? contextObject(ctx, t, s) : NO_CONTEXT;
  const effective = applyIo(s.inputPath, t.input, context, ctx, 'InputPath', f);
  const input = s.jsonata
    ? s.arguments === undefined
      ? t.input
      : runQuery(ctx, f, s, s.arguments, { input: t.input })
    : s.parameters === undefined
      ? effective
      : evaluate(ctx, f, 'Parameters', s.parameters, effective, context);
  const inputBound =
    input === t.input
      ? ctx.sizes.of(t, input)
      : checkSize(ctx, input, 'The input of the branches of Parallel state', s.name);
  const block: ParallelBlock = {
    kind: 'parallel',
    children: {},
    results: s.branches.map(() => null),
    remaining: s.branches.length,
  };
  t.block = block;
  record(ctx, 'ParallelStateStarted', t.path, s.name);
  for (let i = 0; i < s.branches.length; i++) {
    if (t.block !== block) return;
    const machine = s.branches[i] as CompiledMachine;
    const [path, keyPath] = childPaths(t, s, i);
    const child = newThread(path, keyPath, ctx.now);
    block.children[i] = child;
    ctx.sizes.carry(child, input, inputBound);
    const frame: Frame = { thread: child, machine, loc: [...f.loc, i], parent: f };
    enter(ctx, frame, machine.startAt, input);
    ctx.advance(ctx, frame);
    if (child.end !== undefined) parallelChildEnded(ctx, f, s, block, i);
  }
}

/** A branch ended: keep its output, or fail the Parallel (cancelling the other branches). */
export function parallelChildEnded(
  ctx: Ctx,
  f: Frame,
  s: CompiledParallel,
  block: ParallelBlock,
  index: number,
): void {
  const t = f.thread;
  const child = block.children[index];
  const end = child?.end;
  if (child === undefined || end === undefined) return;
  delete block.children[index];
  if (end.status === 'SUCCEEDED') {
    record(ctx, 'ParallelBranchSucceeded', child.path, s.name, { index, output: end.output });
    block.results[index] = end.output;
    block.remaining -= 1;
    if (block.remaining > 0) return;
    t.block = undefined;
    record(ctx, 'ParallelStateSucceeded', t.path, s.name, { output: block.results });
    succeedWithResult(ctx, f, s, block.results);
    return;
  }
  record(ctx, 'ParallelBranchFailed', child.path, s.name, { index, error: end.error, cause: end.cause });
  cancelThread(ctx, t);
  record(ctx, 'ParallelStateFailed', t.path, s.name, { index, error: end.error, cause: end.cause });
  failState(ctx, f, s, end.error, end.cause);
}
