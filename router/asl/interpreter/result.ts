/**
 * How a Task, Parallel or Map state leaves with its result: ResultSelector, ResultPath and OutputPath,
 * under the payload limit; an error on the way goes to Retry / Catch like an error of the work itself.
 */
import type { JsonObject, JsonValue } from '../types.ts';
import { stateError } from './causes.ts';
import type { CompiledMap, CompiledParallel, CompiledTask } from './compiled.ts';
import { applyIo, type Ctx, contextObject, ExecutionAbort, evaluate, type Frame, NO_CONTEXT } from './ctx.ts';
import { checkSize, holdOutput } from './payload-limit.ts';
import { assignments, runQuery } from './query.ts';
import { failState } from './retry-catch.ts';
import { finishState } from './threads.ts';

/**
 * Result of a Task / Parallel / Map: ResultSelector -> ResultPath -> OutputPath, then leave the state.
 * The result, what ResultSelector makes of it and the output are each held to the payload limit.
 */
export function succeedWithResult(
  ctx: Ctx,
  f: Frame,
  s: CompiledTask | CompiledParallel | CompiledMap,
  result: JsonValue,
): void {
  const t = f.thread;
  let output: JsonValue;
  let assigned: JsonObject | undefined;
  try {
    const resultBound = checkSize(ctx, result, 'The result of state', s.name);
    if (s.jsonata) {
      // Output and Assign both read the result and the variables as they were at state entry.
      const states = { input: t.input, result };
      output = s.output === undefined ? result : runQuery(ctx, f, s, s.output, states);
      assigned = assignments(ctx, f, s, s.assign, { value: result, states });
      if (output !== t.input)
        holdOutput(ctx, t, s.name, output, output === result ? resultBound : Number.NaN);
      finishState(ctx, f, s, output, undefined, assigned);
      return;
    }
    const context = s.usesContext ? contextObject(ctx, t, s) : NO_CONTEXT;
    let selected = result;
    let selectedBound = resultBound;
    if (s.resultSelector !== undefined) {
      selected = evaluate(ctx, f, 'ResultSelector', s.resultSelector, result, context);
      selectedBound = checkSize(ctx, selected, 'The ResultSelector output of state', s.name);
    }
    // Assign reads the result after ResultSelector; ResultPath and OutputPath still see the old variables.
    assigned = assignments(ctx, f, s, s.assign, { value: selected, states: { input: t.input } });
    const merged = s.resultPath(t.input, selected);
    output = applyIo(s.outputPath, merged, context, ctx, 'OutputPath', f);
    if (output !== t.input) {
      const known = output === merged ? s.resultBound(ctx.sizes.of(t, t.input), selectedBound) : Number.NaN;
      holdOutput(ctx, t, s.name, output, known);
    }
  } catch (error) {
    if (error instanceof ExecutionAbort) throw error;
    const e = stateError(f, s, error);
    failState(ctx, f, s, e.error, e.cause);
    return;
  }
  finishState(ctx, f, s, output, undefined, assigned);
}
