/**
 * The Choice state: the first rule that matches names the next state, else Default. A JSONPath rule
 * compares a path with an operand; a JSONata rule's Condition is a boolean expression. The matched rule's
 * Assign (and, in JSONata, its Output) apply, or the state's own when Default is taken.
 */
import { STATES_ERRORS, statesFailure } from '../../errors.ts';
import { expectType } from '../../expressions/index.ts';
import type { JsonObject, JsonValue } from '../../types.ts';
import type { CompiledAssign, CompiledChoice, CompiledChoiceRule, Query } from '../compiled.ts';
import { applyIo, type Ctx, contextObject, type Frame, inField, NO_CONTEXT, variablesOf } from '../ctx.ts';
import { holdOutput } from '../payload-limit.ts';
import { assignments, runQuery } from '../query.ts';
import { finishState } from '../threads.ts';

/** Whether one rule matches (a JSONPath test, or a JSONata Condition that must yield a boolean). */
function matches(
  ctx: Ctx,
  f: Frame,
  s: CompiledChoice,
  rule: CompiledChoiceRule,
  index: number,
  effective: JsonValue,
  context: JsonValue,
): boolean {
  if (rule.condition !== undefined) {
    const value = runQuery(ctx, f, s, rule.condition, { input: f.thread.input });
    return expectType(value, 'boolean', s.name, `Choices/${index}/Condition`, undefined) === true;
  }
  if (rule.test === undefined) return false;
  try {
    return rule.test(effective, context, variablesOf(f));
  } catch (error) {
    throw inField(error, `Choices[${index}]`);
  }
}

/** Runs a Choice state: on to the chosen state, or States.NoChoiceMatched (reported as States.Runtime). */
export function executeChoice(ctx: Ctx, f: Frame, s: CompiledChoice): void {
  const t = f.thread;
  const context = s.jsonata ? NO_CONTEXT : s.usesContext ? contextObject(ctx, t, s) : NO_CONTEXT;
  const effective = s.jsonata ? t.input : applyIo(s.inputPath, t.input, context, ctx, 'InputPath', f);
  let next: string | undefined;
  let assign: CompiledAssign | undefined = s.assign;
  let output: Query | undefined = s.output;
  const { choices } = s;
  for (let i = 0; i < choices.length; i++) {
    const choice = choices[i] as CompiledChoiceRule;
    if (matches(ctx, f, s, choice, i, effective, context)) {
      next = choice.next;
      assign = choice.assign;
      output = choice.output;
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
  const states = { input: t.input };
  const assigned: JsonObject | undefined = assignments(ctx, f, s, assign, { value: effective, states });
  const result = s.jsonata
    ? output === undefined
      ? t.input
      : runQuery(ctx, f, s, output, states)
    : applyIo(s.outputPath, effective, context, ctx, 'OutputPath', f);
  holdOutput(ctx, t, s.name, result, Number.NaN);
  finishState(ctx, f, s, result, next, assigned);
}
