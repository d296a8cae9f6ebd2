/**
 * The Pass state: its input, Parameters or Result, placed by ResultPath, on to the next state (JSONPath);
 * or its Output, by default its input (JSONata). Assign reads the state's result (JSONPath) or `$states`
 * (JSONata), and takes effect as the state is left.
 */
import type { CompiledPass } from '../compiled.ts';
import { applyIo, type Ctx, contextObject, evaluate, type Frame, NO_CONTEXT } from '../ctx.ts';
import { checkSize, holdOutput } from '../payload-limit.ts';
import { assignments, runQuery } from '../query.ts';
import { finishState } from '../threads.ts';

/** Runs a Pass state to its output; a result it builds (Parameters, Result) is held to the payload limit. */
export function executePass(ctx: Ctx, f: Frame, s: CompiledPass): void {
  const t = f.thread;
  if (s.jsonata) {
    const states = { input: t.input };
    const output = s.output === undefined ? t.input : runQuery(ctx, f, s, s.output, states);
    const assigned = assignments(ctx, f, s, s.assign, { value: t.input, states });
    if (output !== t.input) holdOutput(ctx, t, s.name, output, Number.NaN);
    finishState(ctx, f, s, output, undefined, assigned);
    return;
  }
  const context = s.usesContext ? contextObject(ctx, t, s) : NO_CONTEXT;
  const effective = applyIo(s.inputPath, t.input, context, ctx, 'InputPath', f);
  let result =
    s.parameters === undefined ? effective : evaluate(ctx, f, 'Parameters', s.parameters, effective, context);
  if (s.result !== undefined) result = s.result;
  const resultBound = result === t.input ? Number.NaN : checkSize(ctx, result, 'The result of state', s.name);
  const assigned = assignments(ctx, f, s, s.assign, { value: result, states: { input: t.input } });
  const merged = s.resultPath(t.input, result);
  const output = applyIo(s.outputPath, merged, context, ctx, 'OutputPath', f);
  if (output !== t.input) {
    const inputBound = ctx.sizes.of(t, t.input);
    const known =
      output === merged
        ? s.resultBound(inputBound, result === t.input ? inputBound : resultBound)
        : Number.NaN;
    holdOutput(ctx, t, s.name, output, known);
  }
  finishState(ctx, f, s, output, undefined, assigned);
}
