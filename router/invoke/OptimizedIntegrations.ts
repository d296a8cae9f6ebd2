/**
 * Runs an optimized integration (`arn:aws:states:::SERVICE:ACTION[.PATTERN]`) the way Step Functions
 * does, from the table in `integrations.ts`: request/response sends the command and shapes its result;
 * `.waitForTaskToken` sends it (the token travels in the Parameters) and waits for the callback;
 * `.sync` / `.sync:2` start the job and answer with a poll, so the execution waits on a durable timer
 * between two looks at the job and holds no compute while it runs.
 *
 * ```
 * .sync:  invoke ──start──> { poll: handle, afterSeconds: 1 } ──timer──> invoke(poll) ──describe──>
 *           running: { poll: handle, afterSeconds: 2, 5, 10, 20, 30, 60, 60... }
 *           succeeded: the job's result     failed: States.TaskFailed, the job as cause
 * ```
 */
import type { IntegrationPattern, InvokeEffect, JsonObject, JsonValue } from '../asl/index.ts';
import { isJsonObject, parseTaskResource } from '../asl/index.ts';
import { callHttpEndpoint, type HttpDeps } from './http.ts';
import { httpMetadata, type IntegrationSpec, SDK_INTEGRATIONS } from './integrations.ts';
import { toJson } from './json.ts';
import { type SdkIntegrations, serviceErrorName } from './SdkIntegrations.ts';
import type { InvokeOutcome } from './TaskInvoker.ts';

/** Seconds between two polls of a running job: quick at first, then once a minute. */
const POLL_SECONDS = [1, 2, 5, 10, 20, 30, 60];

/** What a `.sync` task keeps between polls (in the checkpoint, as the invoke's `poll`). */
interface PollState {
  readonly handle: JsonObject;
  readonly polls: number;
}

function pollState(value: JsonValue | undefined): PollState | undefined {
  if (!isJsonObject(value) || !isJsonObject(value.handle) || typeof value.polls !== 'number')
    return undefined;
  return { handle: value.handle, polls: value.polls };
}

function poll(handle: JsonObject, polls: number): InvokeOutcome {
  const afterSeconds = POLL_SECONDS[Math.min(polls, POLL_SECONDS.length - 1)] ?? 60;
  return { pending: 'poll', poll: { handle, polls }, afterSeconds };
}

function recase(
  value: JsonValue,
  to: (key: string) => string,
  deep: boolean,
  keep: readonly string[],
): JsonValue {
  if (Array.isArray(value)) return deep ? value.map((item) => recase(item, to, deep, keep)) : value;
  if (!isJsonObject(value)) return value;
  const out: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    const name = to(key);
    out[name] = !deep || keep.includes(key) || keep.includes(name) ? item : recase(item, to, deep, keep);
  }
  return out;
}

const camel = (key: string): string => key.charAt(0).toLowerCase() + key.slice(1);
const pascal = (key: string): string => key.charAt(0).toUpperCase() + key.slice(1);

/** The request in the API's own spelling. */
function toApi(spec: IntegrationSpec, input: JsonObject): JsonObject {
  if (spec.casing === undefined) return input;
  const converted = recase(input, camel, spec.casing.depth === 'deep', spec.casing.keep ?? []);
  return isJsonObject(converted) ? converted : input;
}

/** A result in Step Functions' spelling (PascalCase fields). */
function fromApi(spec: IntegrationSpec, output: unknown): JsonObject {
  const json = toJson(output);
  const object = isJsonObject(json) ? json : {};
  if (spec.casing === undefined) return object;
  const converted = recase(object, pascal, spec.casing.depth === 'deep', spec.casing.keep ?? []);
  return isJsonObject(converted) ? converted : object;
}

/** Dependencies of the optimized integrations. */
export interface OptimizedIntegrationDeps {
  readonly sdk: SdkIntegrations;
  readonly http?: HttpDeps;
}

/** Performs optimized integrations other than `lambda:invoke` (the Lambda invoker keeps that one). */
export type OptimizedIntegrations = (
  service: string,
  action: string,
  pattern: IntegrationPattern,
  effect: InvokeEffect,
  signal: AbortSignal,
) => Promise<InvokeOutcome>;

/**
 * Stops the job of a `.sync` invoke its execution stopped waiting on (a timeout, a failed sibling), with
 * the service's own stop command (`StopQueryExecution`, `BatchStopJobRun`, `TerminateJob`, `StopTask`,
 * `StopExecution`). Invokes that started no job, and services without a stop command, are left alone;
 * a refused stop is answered, not thrown, so the caller can report it.
 */
export function createJobStopper(
  sdk: SdkIntegrations,
): (
  effect: InvokeEffect,
  signal: AbortSignal,
) => Promise<{ readonly stopped: boolean; readonly error?: string }> {
  return async (effect, signal) => {
    const resource = parseTaskResource(effect.resource);
    if (resource?.kind !== 'service' || (resource.pattern !== 'sync' && resource.pattern !== 'sync:2'))
      return { stopped: false };
    const spec = SDK_INTEGRATIONS[`${resource.service}:${resource.action}`];
    const state = pollState(effect.poll);
    const stop = spec?.job?.stop;
    if (spec === undefined || stop === undefined || state === undefined) return { stopped: false };
    const sent = await sdk.send(spec.sdk, stop.command, toApi(spec, stop.input(state.handle)), signal);
    return sent.ok ? { stopped: true } : { stopped: false, error: `${stop.command}: ${sent.message}` };
  };
}

/** Builds the optimized integrations over the SDK loader (and `fetch`, for the HTTP ones). */
export function createOptimizedIntegrations(deps: OptimizedIntegrationDeps): OptimizedIntegrations {
  /** Sends one command: its raw output, or the task's failure. */
  async function send(
    spec: IntegrationSpec,
    command: string,
    input: JsonObject,
    signal: AbortSignal,
  ): Promise<{ readonly output: unknown } | { readonly failed: InvokeOutcome }> {
    const sent = await deps.sdk.send(spec.sdk, command, toApi(spec, input), signal);
    if (sent.ok) return { output: sent.output };
    if (sent.kind === 'runtime')
      return { failed: { ok: false, error: 'States.Runtime', cause: sent.message } };
    return { failed: { ok: false, error: serviceErrorName(spec.errorPrefix, sent), cause: sent.message } };
  }

  async function look(
    spec: IntegrationSpec,
    pattern: IntegrationPattern,
    state: PollState,
    signal: AbortSignal,
  ): Promise<InvokeOutcome> {
    const job = spec.job;
    if (job === undefined)
      return { ok: false, error: 'States.Runtime', cause: `${spec.command} runs no job` };
    const sent = await send(spec, job.command, job.input(state.handle), signal);
    if ('failed' in sent) return sent.failed;
    const described = fromApi(spec, sent.output);
    const now = job.state(described, pattern);
    if (now.state === 'running') return poll(state.handle, state.polls + 1);
    if (now.state === 'failed') return { ok: false, error: now.error, cause: now.cause };
    return { ok: true, output: now.output };
  }

  return async (service, action, pattern, effect, signal) => {
    const params = isJsonObject(effect.input) ? effect.input : {};
    if (service === 'http' || service === 'apigateway') {
      const outcome = await callHttpEndpoint(service, params, signal, deps.http);
      if (outcome.ok && pattern === 'waitForTaskToken') return { pending: 'callback' };
      return outcome;
    }
    const spec = SDK_INTEGRATIONS[`${service}:${action}`];
    if (spec === undefined) {
      return { ok: false, error: 'States.Runtime', cause: `no optimized integration '${service}:${action}'` };
    }
    const sync = pattern === 'sync' || pattern === 'sync:2';
    const resumed = sync ? pollState(effect.poll) : undefined;
    if (resumed !== undefined) return look(spec, pattern, resumed, signal);
    const request = spec.request === undefined ? params : spec.request(params);
    const sent = await send(spec, spec.command, request, signal);
    if ('failed' in sent) return sent.failed;
    const output = fromApi(spec, sent.output);
    const failure = spec.failure?.(output);
    if (failure !== undefined) return { ok: false, ...failure };
    if (pattern === 'waitForTaskToken') return { pending: 'callback' };
    if (sync && spec.job !== undefined) return poll(spec.job.handle(output, params), 0);
    const shaped = spec.response === undefined ? output : spec.response(output);
    if (!spec.httpMetadata || !isJsonObject(shaped)) return { ok: true, output: shaped };
    return { ok: true, output: { ...shaped, ...httpMetadata(sent.output) } };
  };
}
