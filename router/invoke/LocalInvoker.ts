/**
 * Binds Task resources to functions in this process. Graphs name resources; in unit tests, the engine
 * test runner and the in-process benchmark, the names are bound here instead of to Lambda, with the same
 * outcome shapes the real invoker produces (a thrown error's `name` becomes the error, as `errorType`
 * does for a Lambda function error).
 */
import type { InvokeEffect } from '../asl/index.ts';
import {
  isJsonObject,
  isLambdaInvoke,
  type JsonValue,
  parseTaskResource,
  type TaskResource,
} from '../asl/index.ts';
import type { InvokeOutcome, TaskInvoker } from './TaskInvoker.ts';

/**
 * A step function run in-process: the payload, plus the invoke for its idempotency key. The payload is
 * the execution's own value, not a copy: a step returns a new value and changes nothing it was given,
 * as a Lambda function (which gets a copy) cannot.
 */
export type LocalStep = (payload: JsonValue, effect: InvokeEffect) => JsonValue | Promise<JsonValue>;

/** The function name a resource (or its `lambda:invoke` Parameters) names. */
export function functionNameOf(effect: InvokeEffect): string | undefined {
  const resource = parseTaskResource(effect.resource);
  if (resource?.kind === 'lambda') return resource.functionName;
  if (isLambdaInvoke(resource) && isJsonObject(effect.input)) {
    const name = effect.input.FunctionName;
    if (typeof name !== 'string') return undefined;
    const last = name.split(':function:').pop() ?? name;
    return last.split(':')[0];
  }
  return undefined;
}

/** What a step's return value means to the interpreter: its output, or for a `.waitForTaskToken` call, a wait. */
function succeeded(output: JsonValue, resource: TaskResource | undefined): InvokeOutcome {
  if (!isLambdaInvoke(resource)) return { ok: true, output };
  // `.waitForTaskToken`: the step got the token; the result arrives later by callback.
  if (resource?.kind === 'service' && resource.pattern === 'waitForTaskToken') return { pending: 'callback' };
  return { ok: true, output: { ExecutedVersion: '$LATEST', Payload: output, StatusCode: 200 } };
}

/** A step that threw, as a Lambda function error: its `name` is the error. */
function failed(error: unknown): InvokeOutcome {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  return { ok: false, error: name, cause: JSON.stringify({ errorType: name, errorMessage: message }) };
}

/**
 * An invoker that runs named local functions; unknown names fail like a missing Lambda function. A step
 * that returns its value (not a promise) is answered at once, so the run applies it without a turn of
 * its loop, as a step run in-process by hand would be.
 */
export function createLocalInvoker(steps: Readonly<Record<string, LocalStep>>): TaskInvoker {
  return (effect) => {
    const name = functionNameOf(effect);
    const step = name === undefined ? undefined : steps[name];
    if (step === undefined) {
      return {
        ok: false,
        error: 'Lambda.ResourceNotFoundException',
        cause: `no local function for ${effect.resource}`,
      };
    }
    const resource = parseTaskResource(effect.resource);
    const payload =
      isLambdaInvoke(resource) && isJsonObject(effect.input) ? (effect.input.Payload ?? null) : effect.input;
    let output: JsonValue | Promise<JsonValue>;
    try {
      output = step(payload, effect);
    } catch (error) {
      return failed(error);
    }
    if (output instanceof Promise) return output.then((value) => succeeded(value, resource), failed);
    return succeeded(output, resource);
  };
}
