/** The Pass state: its input, Parameters or Result, placed by ResultPath, on to the next state. */
import type { CompiledPass } from '../compile.ts';
import { applyIo, type Ctx, contextObject, envOf, type Frame, NO_CONTEXT } from '../ctx.ts';
import { finishState } from '../threads.ts';

/** Runs a Pass state to its output. */
export function executePass(ctx: Ctx, f: Frame, s: CompiledPass): void {
  const t = f.thread;
  const context = s.usesContext ? contextObject(ctx, t, s) : NO_CONTEXT;
  const effective = applyIo(s.inputPath, t.input, context, ctx);
  let result = s.parameters === undefined ? effective : s.parameters(effective, context, envOf(ctx));
  if (s.result !== undefined) result = s.result;
  const output = applyIo(s.outputPath, s.resultPath(t.input, result), context, ctx);
  finishState(ctx, f, s, output);
}
