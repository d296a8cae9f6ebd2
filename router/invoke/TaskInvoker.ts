/**
 * Performs a Task's invoke effect against real services: step Lambdas (direct ARN or the
 * `lambda:invoke` integration, sync, async or with a callback token), the optimized integrations
 * (`sns:publish`, `dynamodb:putItem`, `athena:startQueryExecution.sync`...), any AWS SDK v3 action, and
 * activities (queued for a worker). Clients are built once and passed in. Errors come back named the way
 * Step Functions names them, so the graph's Retry and Catch rules match: a function error by its
 * `errorType`, a service error as `Service.NameException`.
 */
import { InvokeCommand, type InvokeCommandOutput, type LambdaClient } from '@aws-sdk/client-lambda';
import type { InvokeEffect } from '../asl/index.ts';
import {
  isJsonObject,
  isResourceAllowed,
  type JsonValue,
  parseTaskResource,
  type ResourceAllowlist,
  unsupportedReason,
} from '../asl/index.ts';
import type { ActivityQueue } from './ActivityQueue.ts';
import { abortOptions } from './abort.ts';
import type { HttpDeps } from './http.ts';
import { toJson } from './json.ts';
import { performMapRunIo, s3MapRunStore } from './MapRunIo.ts';
import { createOptimizedIntegrations } from './OptimizedIntegrations.ts';
import { functionArn } from './resources.ts';
import type { SdkIntegrations } from './SdkIntegrations.ts';
import { iamRequestSigner } from './sigv4.ts';

/**
 * What an invoke came to: a result, an error, handed over (the result comes back by task token), or a
 * running job to poll again after `afterSeconds` with `poll` (`.sync`).
 */
export type InvokeOutcome =
  | { readonly ok: true; readonly output: JsonValue }
  | { readonly ok: false; readonly error: string; readonly cause: string }
  | { readonly pending: 'callback' }
  | { readonly pending: 'poll'; readonly poll: JsonValue; readonly afterSeconds: number };

/** Performs invoke effects; one per process, shared by every execution. */
export type TaskInvoker = (
  effect: InvokeEffect,
  signal: AbortSignal,
) => InvokeOutcome | Promise<InvokeOutcome>;

/** Dependencies of the real invoker. */
export interface TaskInvokerDeps {
  readonly lambda: LambdaClient;
  readonly sdk: SdkIntegrations;
  readonly allowlist: ResourceAllowlist;
  readonly region: string;
  /** Used to expand bare function names into ARNs for the allowlist check. */
  readonly accountId?: string;
  /** Execution id added to each step's client context, for logs. */
  readonly describe?: (effect: InvokeEffect) => Record<string, string>;
  /** Where activity tasks wait for a worker; without one an activity task fails with States.Runtime. */
  readonly activities?: ActivityQueue;
  /** `fetch` and connection credentials for `http:invoke` and `apigateway:invoke`. */
  readonly http?: HttpDeps;
}

const CLIENT_CONTEXT_LIMIT = 3583;

function fail(error: string, cause: string): InvokeOutcome {
  return { ok: false, error, cause };
}

/** The client context every step receives: its idempotency key and where it runs. */
export function stepClientContext(
  effect: InvokeEffect,
  extra: Record<string, string> = {},
): string | undefined {
  const custom = {
    idempotencyKey: effect.idempotencyKey,
    state: effect.stateName,
    attempt: String(effect.attempt),
    ...extra,
  };
  const encoded = Buffer.from(JSON.stringify({ custom })).toString('base64');
  return encoded.length <= CLIENT_CONTEXT_LIMIT ? encoded : undefined;
}

function payloadText(output: InvokeCommandOutput): string {
  return output.Payload === undefined ? '' : Buffer.from(output.Payload).toString('utf8');
}

function parsePayload(text: string): JsonValue {
  if (text === '') return null;
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}

/** A function error (`X-Amz-Function-Error`) as Step Functions reports it: name from `errorType`. */
function functionError(output: InvokeCommandOutput): InvokeOutcome {
  const text = payloadText(output);
  const payload = parsePayload(text);
  const errorType =
    isJsonObject(payload) && typeof payload.errorType === 'string' ? payload.errorType : undefined;
  return fail(errorType ?? 'Lambda.Unknown', text === '' ? `function error ${output.FunctionError}` : text);
}

/** A Lambda service or client error as `Lambda.<Name>`, the names graphs retry on. */
function lambdaServiceError(error: unknown): InvokeOutcome {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  const known = name.endsWith('Exception') ? name : 'SdkClientException';
  return fail(`Lambda.${known}`, message);
}

/** Builds the invoker bound to its clients and allowlist. */
export function createTaskInvoker(deps: TaskInvokerDeps): TaskInvoker {
  const accountId = deps.accountId ?? '000000000000';
  const allowed = (resource: string): boolean => isResourceAllowed(resource, deps.allowlist);
  const optimized = createOptimizedIntegrations({
    sdk: deps.sdk,
    http: { sign: iamRequestSigner(deps.region), ...deps.http },
  });

  async function invokeLambda(
    effect: InvokeEffect,
    signal: AbortSignal,
    target: {
      functionName: string;
      qualifier?: string;
      invocationType: 'RequestResponse' | 'Event';
      payload: JsonValue;
    },
  ): Promise<InvokeCommandOutput | InvokeOutcome> {
    const arn = functionArn(target.functionName, deps.region, accountId);
    if (!allowed(arn)) {
      return fail(
        'States.Runtime',
        `state '${effect.stateName}': function ${arn} is not in this deployment's allowlist`,
      );
    }
    const clientContext = stepClientContext(effect, deps.describe?.(effect));
    try {
      return await deps.lambda.send(
        new InvokeCommand({
          FunctionName: target.functionName,
          InvocationType: target.invocationType,
          Payload: Buffer.from(JSON.stringify(target.payload ?? null)),
          ...(target.qualifier === undefined ? {} : { Qualifier: target.qualifier }),
          ...(clientContext === undefined ? {} : { ClientContext: clientContext }),
        }),
        abortOptions(signal),
      );
    } catch (error) {
      return lambdaServiceError(error);
    }
  }

  const mapRunStore = s3MapRunStore(deps.sdk);

  return async (effect, signal) => {
    if (effect.mapRun !== undefined) {
      // The ItemReader's and ResultWriter's S3 calls are held to the allowlist like any Task's.
      if (!allowed(effect.resource)) {
        return fail(
          effect.mapRun === 'write' ? 'States.ResultWriterFailed' : 'States.ItemReaderFailed',
          `Map state '${effect.stateName}': resource ${effect.resource} is not in this deployment's allowlist`,
        );
      }
      return performMapRunIo(mapRunStore, effect, signal);
    }
    const resource = parseTaskResource(effect.resource);
    const unsupported = resource === undefined ? 'is not supported' : unsupportedReason(resource);
    if (resource === undefined || unsupported !== undefined) {
      return fail(
        'States.Runtime',
        `state '${effect.stateName}': resource ${effect.resource} ${unsupported}`,
      );
    }
    if (!allowed(effect.resource)) {
      return fail(
        'States.Runtime',
        `state '${effect.stateName}': resource ${effect.resource} is not in this deployment's allowlist`,
      );
    }
    switch (resource.kind) {
      case 'lambda': {
        const result = await invokeLambda(effect, signal, {
          functionName: resource.functionName,
          ...(resource.qualifier === undefined ? {} : { qualifier: resource.qualifier }),
          invocationType: 'RequestResponse',
          payload: effect.input,
        });
        if (!('$metadata' in result)) return result;
        if (result.FunctionError !== undefined) return functionError(result);
        return { ok: true, output: parsePayload(payloadText(result)) };
      }
      case 'activity': {
        if (deps.activities === undefined || effect.taskToken === undefined) {
          return fail('States.Runtime', `state '${effect.stateName}': this runtime has no activity queue`);
        }
        await deps.activities.enqueue({
          activityArn: effect.resource,
          activity: resource.name,
          taskToken: effect.taskToken,
          input: effect.input,
          invokeId: effect.id,
          stateName: effect.stateName,
        });
        return { pending: 'callback' };
      }
      case 'sdk': {
        const outcome = await deps.sdk.call(resource.service, resource.action, effect.input, signal);
        if (outcome.ok && resource.pattern === 'waitForTaskToken') return { pending: 'callback' };
        return outcome.ok ? { ok: true, output: toJson(outcome.output) } : outcome;
      }
      case 'service':
        if (resource.service !== 'lambda') {
          return optimized(resource.service, resource.action, resource.pattern, effect, signal);
        }
        return lambdaIntegration(effect, signal, resource.pattern === 'waitForTaskToken');
    }
  };

  async function lambdaIntegration(
    effect: InvokeEffect,
    signal: AbortSignal,
    callback: boolean,
  ): Promise<InvokeOutcome> {
    const params = isJsonObject(effect.input) ? effect.input : {};
    const name = params.FunctionName;
    if (typeof name !== 'string' || name === '') {
      return fail(
        'States.Runtime',
        `state '${effect.stateName}': Parameters.FunctionName must be a non-empty string`,
      );
    }
    const requested = params.InvocationType;
    const invocationType = callback || requested === 'Event' ? 'Event' : 'RequestResponse';
    const result = await invokeLambda(effect, signal, {
      functionName: name,
      ...(typeof params.Qualifier === 'string' ? { qualifier: params.Qualifier } : {}),
      invocationType,
      payload: params.Payload ?? null,
    });
    if (!('$metadata' in result)) return result;
    if (result.FunctionError !== undefined) return functionError(result);
    if (callback) return { pending: 'callback' };
    return {
      ok: true,
      output: {
        ExecutedVersion: result.ExecutedVersion ?? '$LATEST',
        Payload: invocationType === 'Event' ? '' : parsePayload(payloadText(result)),
        SdkHttpMetadata: { HttpStatusCode: result.StatusCode ?? 200 },
        SdkResponseMetadata: { RequestId: result.$metadata.requestId ?? '' },
        StatusCode: result.StatusCode ?? 200,
      },
    };
  }
}
