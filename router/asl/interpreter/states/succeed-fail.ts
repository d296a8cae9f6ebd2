/** The terminal states: Succeed ends its thread with its output, Fail with its Error and Cause. */
import { STATES_ERRORS, StatesError } from '../../errors.ts';
import type { CompiledFail, CompiledSucceed, Evaluate } from '../compiled.ts';
import { applyIo, type Ctx, contextObject, evaluate, type Frame, NO_CONTEXT } from '../ctx.ts';
import { holdOutput } from '../payload-limit.ts';
import { finishState } from '../threads.ts';

/** Runs a Succeed state: its output ends the thread. */
export function executeSucceed(ctx: Ctx, f: Frame, s: CompiledSucceed): void {
  const context = s.usesContext ? contextObject(ctx, f.thread, s) : NO_CONTEXT;
  const effective = applyIo(s.inputPath, f.thread.input, context, ctx, 'InputPath');
  const output = applyIo(s.outputPath, effective, context, ctx, 'OutputPath');
  holdOutput(ctx, f.thread, s.name, output, Number.NaN);
  finishState(ctx, f, s, output);
}

/** Runs a Fail state: the thread fails with its Error and Cause (empty strings when absent). */
export function executeFail(ctx: Ctx, f: Frame, s: CompiledFail): void {
  const t = f.thread;
  const context = s.usesContext ? contextObject(ctx, t, s) : NO_CONTEXT;
  const text = (value: string | Evaluate | undefined, field: string): string => {
    if (value === undefined || typeof value === 'string') return value ?? '';
    const result = evaluate(ctx, field, value, t.input, context);
    if (typeof result !== 'string') {
      throw new StatesError(
        STATES_ERRORS.Runtime,
        `${field} must produce a string, got ${JSON.stringify(result)}`,
      );
    }
    return result;
  };
  t.end = { status: 'FAILED', error: text(s.error, 'ErrorPath'), cause: text(s.cause, 'CausePath') };
}
