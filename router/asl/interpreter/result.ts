/**
 * How a Task, Parallel or Map state leaves with its result: ResultSelector, ResultPath and OutputPath,
 * under the payload limit; an error on the way goes to Retry / Catch like an error of the work itself.
 */
import type { JsonValue } from '../types.ts';
import type { CompiledMap, CompiledParallel, CompiledTask } from './compile.ts';
import {
  applyIo,
  type Ctx,
  contextObject,
  ExecutionAbort,
  envOf,
  type Frame,
  NO_CONTEXT,
  toError,
} from './ctx.ts';
import { checkSize, knownBound, setBound } from './payload-limit.ts';
import { failState } from './retry-catch.ts';
import { finishState } from './threads.ts';

/** Result of a Task / Parallel / Map: ResultSelector -> ResultPath -> OutputPath, then leave the state. */
export function succeedWithResult(
  ctx: Ctx,
  f: Frame,
  s: CompiledTask | CompiledParallel | CompiledMap,
  result: JsonValue,
): void {
  const t = f.thread;
  let output: JsonValue;
  try {
    const context = s.usesContext ? contextObject(ctx, t, s) : NO_CONTEXT;
    const resultBound = checkSize(ctx, result, `The result of state '${s.name}'`);
    const inputBound = knownBound(t, t.input);
    const selected = s.resultSelector === undefined ? result : s.resultSelector(result, context, envOf(ctx));
    const merged = s.resultPath(t.input, selected);
    output = applyIo(s.outputPath, merged, context, ctx);
    const outputBound =
      output === merged && selected === result ? s.resultBound(inputBound, resultBound) : Number.NaN;
    if (s.type === 'Task') setBound(t, output, outputBound);
    else setBound(t, output, checkSize(ctx, output, `The output of state '${s.name}'`, outputBound));
  } catch (error) {
    if (error instanceof ExecutionAbort) throw error;
    const e = toError(error);
    failState(ctx, f, s, e.error, e.cause);
    return;
  }
  finishState(ctx, f, s, output);
}
