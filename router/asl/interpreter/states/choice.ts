/** The Choice state: the first rule that matches names the next state, else Default. */
import { STATES_ERRORS, statesFailure } from '../../errors.ts';
import type { CompiledChoice } from '../compiled.ts';
import { applyIo, type Ctx, contextObject, type Frame, inField, NO_CONTEXT } from '../ctx.ts';
import { holdOutput } from '../payload-limit.ts';
import { finishState } from '../threads.ts';

/** Runs a Choice state: on to the chosen state, or States.NoChoiceMatched (reported as States.Runtime). */
export function executeChoice(ctx: Ctx, f: Frame, s: CompiledChoice): void {
  const t = f.thread;
  const context = s.usesContext ? contextObject(ctx, t, s) : NO_CONTEXT;
  const effective = applyIo(s.inputPath, t.input, context, ctx, 'InputPath');
  let next: string | undefined;
  const { choices } = s;
  for (let i = 0; i < choices.length; i++) {
    const choice = choices[i] as CompiledChoice['choices'][number];
    let matched: boolean;
    try {
      matched = choice.test(effective, context);
    } catch (error) {
      throw inField(error, `Choices[${i}]`);
    }
    if (matched) {
      next = choice.next;
      break;
    }
  }
  if (next === undefined) next = s.default;
  if (next === undefined) {
    throw statesFailure(
      STATES_ERRORS.NoChoiceMatched,
      'no Choice rule matched the input and the state has no Default',
    );
  }
  const output = applyIo(s.outputPath, effective, context, ctx, 'OutputPath');
  holdOutput(ctx, t, s.name, output, Number.NaN);
  finishState(ctx, f, s, output, next);
}
