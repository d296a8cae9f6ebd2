/**
 * Performs a Task's invoke effect against real services: step Lambdas (direct ARN or the
 * `lambda:invoke` integration, sync, async or with a callback token) and any AWS SDK v3 action. Clients
 * are built once and passed in. Errors come back named the way Step Functions names them, so the graph's
 * Retry and Catch rules match: a function error by its `errorType`, a service error as `Service.Name`.
 */
import { InvokeCommand, type InvokeCommandOutput, type LambdaClient } from '@aws-sdk/client-lambda';
import type { InvokeEffect } from '../asl/index.ts';
import { isJsonObject, isResourceAllowed, type JsonValue, type ResourceAllowlist } from '../asl/index.ts';
import { toJson } from './json.ts';
import { functionArn, parseTaskResource } from './resources.ts';
import type { SdkIntegrations } from './SdkIntegrations.ts';

/** What an invoke came to. */
export type InvokeOutcome =
  | { readonly ok: true; readonly output: JsonValue }
  | { readonly ok: false; readonly error: string; readonly cause: string }
  | { readonly pending: 'callback' };

/** Performs invoke effects; one per process, shared by every execution. */
export type TaskInvoker = (effect: InvokeEffect, signal: AbortSignal) => Promise<InvokeOutcome>;

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
        { abortSignal: signal },
      );
    } catch (error) {
      return lambdaServiceError(error);
    }
  }

  return async (effect, signal) => {
    const resource = parseTaskResource(effect.resource);
    if (resource === undefined) {
      return fail(
        'States.Runtime',
        `state '${effect.stateName}': resource ${effect.resource} is not supported`,
      );
    }
    if (!allowed(effect.resource)) {
      return fail(
        'States.Runtime',
        `state '${effect.stateName}': resource ${effect.resource} is not in this deployment's allowlist`,
      );
    }
    if (resource.kind === 'lambda') {
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
    if (resource.kind === 'lambda-invoke') {
      const params = isJsonObject(effect.input) ? effect.input : {};
      const name = params.FunctionName;
      if (typeof name !== 'string' || name === '') {
        return fail(
          'States.Runtime',
          `state '${effect.stateName}': Parameters.FunctionName must be a non-empty string`,
        );
      }
      const requested = params.InvocationType;
      const invocationType = resource.callback || requested === 'Event' ? 'Event' : 'RequestResponse';
      const result = await invokeLambda(effect, signal, {
        functionName: name,
        ...(typeof params.Qualifier === 'string' ? { qualifier: params.Qualifier } : {}),
        invocationType,
        payload: params.Payload ?? null,
      });
      if (!('$metadata' in result)) return result;
      if (result.FunctionError !== undefined) return functionError(result);
      if (resource.callback) return { pending: 'callback' };
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
    const outcome = await deps.sdk.call(resource.service, resource.action, effect.input, signal);
    if (outcome.ok && resource.callback) return { pending: 'callback' };
    return outcome.ok ? { ok: true, output: toJson(outcome.output) } : outcome;
  };
}
