/** The terminal states: Succeed ends its thread with its output, Fail with its Error and Cause. */
import { STATES_ERRORS, StatesError } from '../../errors.ts';
import { expectType } from '../../expressions/index.ts';
import type { CompiledFail, CompiledSucceed, Evaluate, Query } from '../compiled.ts';
import { applyIo, type Ctx, contextObject, evaluate, type Frame, NO_CONTEXT } from '../ctx.ts';
import { holdOutput } from '../payload-limit.ts';
import { runQuery } from '../query.ts';
import { finishState } from '../threads.ts';

/** Runs a Succeed state: its output ends the thread. */
export function executeSucceed(ctx: Ctx, f: Frame, s: CompiledSucceed): void {
  if (s.jsonata) {
    const input = f.thread.input;
    const output = s.output === undefined ? input : runQuery(ctx, f, s, s.output, { input });
    holdOutput(ctx, f.thread, s.name, output, Number.NaN);
    finishState(ctx, f, s, output);
    return;
  }
  const context = s.usesContext ? contextObject(ctx, f.thread, s) : NO_CONTEXT;
  const effective = applyIo(s.inputPath, f.thread.input, context, ctx, 'InputPath', f);
  const output = applyIo(s.outputPath, effective, context, ctx, 'OutputPath', f);
  holdOutput(ctx, f.thread, s.name, output, Number.NaN);
  finishState(ctx, f, s, output);
}

/** Runs a Fail state: the thread fails with its Error and Cause (empty strings when absent). */
export function executeFail(ctx: Ctx, f: Frame, s: CompiledFail): void {
  const t = f.thread;
  const context = s.usesContext ? contextObject(ctx, t, s) : NO_CONTEXT;
  const text = (value: string | Evaluate | undefined, field: string, q: Query | undefined): string => {
    if (q !== undefined) {
      const name = field === 'ErrorPath' ? 'Error' : 'Cause';
      return expectType(
        runQuery(ctx, f, s, q, { input: t.input }),
        'string',
        s.name,
        name,
        undefined,
      ) as string;
    }
    if (value === undefined || typeof value === 'string') return value ?? '';
    const result = evaluate(ctx, f, field, value, t.input, context);
    if (typeof result !== 'string') {
      throw new StatesError(
        STATES_ERRORS.Runtime,
        `${field} must produce a string, got ${JSON.stringify(result)}`,
      );
    }
    return result;
  };
  t.end = {
    status: 'FAILED',
    error: text(s.error, 'ErrorPath', s.errorQuery),
    cause: text(s.cause, 'CausePath', s.causeQuery),
  };
}
