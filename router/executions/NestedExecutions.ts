/**
 * Nested executions: a `states:startExecution[.sync|.sync:2|.waitForTaskToken]` Task whose
 * `StateMachineArn` names an engine of this runtime starts a child execution here instead of calling
 * Step Functions. The child is a record on the stream (so it runs on any shard and invocation) keyed by
 * its `Name`: a redelivered parent, a retried state or a crash between the start and the parent's
 * checkpoint puts the same record again, and the child's dedup claim makes it one execution.
 *
 * ```
 * StateMachineArn: arn:aws:states:REGION:ACCOUNT:stateMachine:NAME[:VERSION|:ALIAS]  or  NAME[:...]
 * start record:    CloudEvent { source: CHILD_SOURCE, id: Name, type: CHILD_START_TYPE, engine: NAME,
 *                                data: Input, parent*: the link, enginequalifier: VERSION|ALIAS }
 * dedup key:       CHILD_SOURCE#Name          (no Name: one derived from the parent's idempotency key)
 * parent waits:    .sync / .sync:2 on the invoke's task token; the child settles it when it ends
 *                  .waitForTaskToken on the token the user put in the Input; request/response not at all
 * ```
 *
 * A child's end comes back as a task-result record on the stream (`router.task.success|failure`), the
 * record `router task` puts. `aws-sdk:sfn:sendTaskSuccess|Failure|Heartbeat` with a token of this runtime
 * puts the same record, so a child started with `.waitForTaskToken` answers its parent as it would on
 * Step Functions.
 */
import { hash } from 'node:crypto';
import type { ExecutionState, InvokeEffect, JsonObject, JsonValue } from '../asl/index.ts';
import { isJsonObject, parseTaskResource, readTaskTokenLocator } from '../asl/index.ts';
import { RouterError } from '../errors.ts';
import type { InvokeOutcome, SdkIntegrations, TaskInvoker } from '../invoke/index.ts';
import { httpMetadata } from '../invoke/index.ts';
import { type ExecutionRecord, executionIdFor } from './ExecutionStore.ts';
import type { ChildResultShape, ParentLink, Settlement } from './parentLink.ts';

/** The CloudEvent `source` of child start records; with the child's name it is the child's dedup key. */
export const CHILD_SOURCE = 'router/states.startExecution';

/** The CloudEvent `type` of child start records. */
export const CHILD_START_TYPE = 'router.execution.start';

/** The CloudEvent `source` of the task-result records a child or `sfn:sendTask*` puts. */
const RESULT_SOURCE = 'router/task-result';

/** Step Functions' limit on execution names. */
const NAME_MAX = 80;

/** Characters Step Functions refuses in an execution name (whitespace, brackets, wildcards, specials). */
const NAME_FORBIDDEN = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/;

/** True when the name holds a control character (Step Functions refuses those too). */
function hasControl(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:([a-z0-9-]*):(\d*):stateMachine:([^:]+)(?::([^:]+))?$/;
const PLAIN_NAME = /^([A-Za-z0-9][A-Za-z0-9._-]{0,79})(?::([A-Za-z0-9._-]+))?$/;

/** A state machine named by a Task: the engine and, when given, its version or alias. */
export interface StateMachineTarget {
  readonly engine: string;
  readonly qualifier?: string;
}

/** The engine a `StateMachineArn` (or plain name) names, or undefined when it names none this way. */
export function stateMachineTarget(arn: string): StateMachineTarget | undefined {
  const match = STATE_MACHINE_ARN.exec(arn) ?? PLAIN_NAME.exec(arn);
  if (match === null) return undefined;
  const [engine, qualifier] = match.length === 5 ? [match[3], match[4]] : [match[1], match[2]];
  if (engine === undefined) return undefined;
  return qualifier === undefined ? { engine } : { engine, qualifier };
}

/** Who a child is: what the parent reports and what its record is keyed by. */
export interface ChildIdentity {
  readonly engine: string;
  readonly qualifier?: string;
  readonly name: string;
  readonly dedupKey: string;
  readonly executionId: string;
  readonly executionArn: string;
  readonly stateMachineArn: string;
}

/** Where the runtime runs, for the ARNs it reports. */
export interface ArnScope {
  readonly region: string;
  readonly accountId: string;
}

/**
 * A child's identity from the Task's Parameters: its `Name`, or one derived from the invoke's
 * idempotency key (execution, state and Map/Parallel position), so the same visit always names the same
 * child. Answers why not when the Parameters are wrong.
 */
export function childIdentity(
  params: JsonObject,
  idempotencyKey: string,
  target: StateMachineTarget,
  scope: ArnScope,
): ChildIdentity | { readonly invalid: string } {
  const given = params.Name;
  if (given !== undefined && typeof given !== 'string') return { invalid: 'Name must be a string' };
  const name = given ?? derivedName(idempotencyKey);
  if (name.length === 0 || name.length > NAME_MAX || NAME_FORBIDDEN.test(name) || hasControl(name)) {
    return {
      invalid: `Name '${name}' is not a valid execution name (1-${NAME_MAX} characters, no specials)`,
    };
  }
  const dedupKey = `${CHILD_SOURCE}#${name}`;
  const prefix = `arn:aws:states:${scope.region}:${scope.accountId}`;
  const machine = `${prefix}:stateMachine:${target.engine}`;
  return {
    ...target,
    name,
    dedupKey,
    executionId: executionIdFor({ engine: target.engine, dedupKey }),
    executionArn: `${prefix}:execution:${target.engine}:${name}`,
    stateMachineArn: target.qualifier === undefined ? machine : `${machine}:${target.qualifier}`,
  };
}

/** A UUID-shaped name from the idempotency key: stable across retries, redeliveries and resumes. */
function derivedName(idempotencyKey: string): string {
  const h = hash('sha256', idempotencyKey, 'hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The child's input: `Input` as JSON (text is parsed, absent or null is `{}`). */
function childInput(params: JsonObject): JsonValue | { readonly invalid: string } {
  const input = params.Input;
  if (input === undefined || input === null) return {};
  if (typeof input !== 'string') return input;
  try {
    return JSON.parse(input) as JsonValue;
  } catch {
    return { invalid: 'Input is not valid JSON text' };
  }
}

/** One record to put on the stream. */
export interface StreamRecord {
  readonly partitionKey: string;
  readonly data: JsonObject;
}

/** The start record of a child: a CloudEvent routed straight to its engine, carrying the parent link. */
export function childStartRecord(
  child: ChildIdentity,
  input: JsonValue,
  parent: ParentLink,
  now: number,
): StreamRecord {
  const data: JsonObject = {
    specversion: '1.0',
    id: child.name,
    source: CHILD_SOURCE,
    type: CHILD_START_TYPE,
    time: new Date(now).toISOString(),
    engine: child.engine,
    data: input,
    parentexecution: parent.executionId,
    statemachine: child.stateMachineArn,
    startdate: String(parent.startDate ?? now),
  };
  if (parent.invokeId !== undefined) data.parentinvoke = parent.invokeId;
  if (parent.token !== undefined) data.parenttoken = parent.token;
  if (parent.shape !== undefined) data.parentshape = parent.shape;
  if (child.qualifier !== undefined) data.enginequalifier = child.qualifier;
  return { partitionKey: child.name, data };
}

/** What a child start record says beyond an ordinary event: its parent link and its engine qualifier. */
export interface ChildStartAttributes {
  readonly parent?: ParentLink;
  readonly qualifier?: string;
}

/** Reads a child start record's link and qualifier (any other event has neither). */
export function childStartAttributes(event: {
  readonly [attribute: string]: JsonValue | undefined;
}): ChildStartAttributes {
  const qualifier = textAttribute(event, 'enginequalifier');
  const executionId = textAttribute(event, 'parentexecution');
  if (event.source !== CHILD_SOURCE || executionId === undefined) {
    return qualifier === undefined ? NOT_A_CHILD : { qualifier };
  }
  const shape = textAttribute(event, 'parentshape');
  const startDate = Number(textAttribute(event, 'startdate'));
  const engine = typeof event.engine === 'string' ? event.engine : '';
  const stateMachineArn = textAttribute(event, 'statemachine');
  const name = typeof event.id === 'string' ? event.id : '';
  const parent: ParentLink = {
    executionId,
    name,
    ...(stateMachineArn === undefined ? {} : { stateMachineArn }),
    ...(stateMachineArn === undefined
      ? {}
      : { executionArn: `${executionArnPrefix(stateMachineArn)}:execution:${engine}:${name}` }),
    ...(Number.isSafeInteger(startDate) ? { startDate } : {}),
    ...(textAttribute(event, 'parentinvoke') === undefined
      ? {}
      : { invokeId: textAttribute(event, 'parentinvoke') as string }),
    ...(textAttribute(event, 'parenttoken') === undefined
      ? {}
      : { token: textAttribute(event, 'parenttoken') as string }),
    ...(shape === 'sync' || shape === 'sync:2' || shape === 'raw'
      ? { shape: shape as ChildResultShape }
      : {}),
  };
  return qualifier === undefined ? { parent } : { parent, qualifier };
}

/** What a message that starts no child of this runtime and names no qualifier carries: every message but a few. */
const NOT_A_CHILD: ChildStartAttributes = Object.freeze({});

/** A CloudEvent attribute's text; undefined when it is absent, empty or not a string. */
function textAttribute(
  event: { readonly [attribute: string]: JsonValue | undefined },
  name: string,
): string | undefined {
  const value = event[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** `arn:aws:states:REGION:ACCOUNT` of a state machine ARN. */
function executionArnPrefix(stateMachineArn: string): string {
  return stateMachineArn.split(':').slice(0, 5).join(':');
}

/** The task-result record that completes `token`: what a child's end or `sfn:sendTask*` puts. */
export function taskResultRecord(
  token: string,
  result:
    | { readonly ok: true; readonly output: JsonValue }
    | { readonly ok: false; readonly error?: string; readonly cause?: string }
    | { readonly heartbeat: true },
  messageId: string,
): StreamRecord {
  const locator = readTaskTokenLocator(token);
  const partitionKey = 'invalid' in locator ? messageId : locator.executionId;
  let type: string;
  let data: JsonObject;
  if ('heartbeat' in result) {
    type = 'router.task.heartbeat';
    data = { taskToken: token };
  } else if (result.ok) {
    type = 'router.task.success';
    data = { taskToken: token, output: result.output };
  } else {
    type = 'router.task.failure';
    data = {
      taskToken: token,
      ...(result.error === undefined ? {} : { error: result.error }),
      ...(result.cause === undefined ? {} : { cause: result.cause }),
    };
  }
  return {
    partitionKey,
    data: { specversion: '1.0', id: messageId, source: RESULT_SOURCE, type, data },
  };
}

/** The task-result record of a child's end: one message id per child, so a repeat is a duplicate. */
export function settlementRecord(
  settlement: Settlement,
  child: Pick<ExecutionRecord, 'executionId'>,
): StreamRecord {
  const result = settlement.ok
    ? { ok: true as const, output: settlement.output }
    : { ok: false as const, error: settlement.error, cause: settlement.cause };
  return taskResultRecord(settlement.token, result, `${CHILD_END}${child.executionId}`);
}

/** Message id prefix of the task-result record a child's end puts. */
const CHILD_END = 'child-end:';

/** True for the task-result record a child's end put (see {@link settlementRecord}). */
export function isChildEnd(event: { readonly source: string; readonly id: string }): boolean {
  return event.source === RESULT_SOURCE && event.id.startsWith(CHILD_END);
}

/** What nested executions need: which engines exist here, the stream, and the scope of the ARNs. */
export interface NestedExecutionDeps extends ArnScope {
  /** True when the engine is published here (has a live alias). */
  readonly isEngine: (engine: string) => Promise<boolean>;
  /** Puts one record on the router's own stream; throws when it could not. */
  readonly put: (record: StreamRecord) => Promise<void>;
  readonly now: () => number;
}

/** Starts children of this runtime and answers this runtime's tokens; undefined: not for this runtime. */
export interface NestedExecutions {
  /** A `states:startExecution` invoke whose state machine is an engine here. */
  start(effect: InvokeEffect, pattern: ChildPattern): Promise<InvokeOutcome | undefined>;
  /** `aws-sdk:sfn:sendTaskSuccess|Failure|Heartbeat` with a token of this runtime. */
  sendTask(action: string, input: JsonValue, idempotencyKey: string): Promise<InvokeOutcome | undefined>;
  /** The children of this runtime an execution waits on (its pending `states:startExecution` invokes). */
  waitedChildren(state: ExecutionState): Promise<string[]>;
  /** The child of this runtime a `.sync` / `.sync:2` invoke waits on, if it started one. */
  waitedChild(effect: InvokeEffect): Promise<ChildIdentity | undefined>;
}

/** The patterns of `states:startExecution`. */
export type ChildPattern = 'request-response' | 'sync' | 'sync:2' | 'waitForTaskToken';

function fail(error: string, cause: string): InvokeOutcome {
  return { ok: false, error, cause };
}

/** Builds nested executions over the stream. */
export function createNestedExecutions(deps: NestedExecutionDeps): NestedExecutions {
  async function localTarget(params: JsonObject): Promise<StateMachineTarget | undefined> {
    const arn = params.StateMachineArn;
    if (typeof arn !== 'string') return undefined;
    const target = stateMachineTarget(arn);
    return target !== undefined && (await deps.isEngine(target.engine)) ? target : undefined;
  }

  /** The child of this runtime an invoke of one of `patterns` started, if it started one. */
  async function childOf(
    effect: InvokeEffect,
    patterns: readonly ChildPattern[],
  ): Promise<ChildIdentity | undefined> {
    if (effect.taskToken === undefined) return undefined;
    const resource = parseTaskResource(effect.resource);
    if (resource?.kind !== 'service' || resource.service !== 'states' || resource.action !== 'startExecution')
      return undefined;
    if (!patterns.includes(resource.pattern)) return undefined;
    const params = isJsonObject(effect.input) ? effect.input : {};
    const target = await localTarget(params);
    if (target === undefined) return undefined;
    const child = childIdentity(params, effect.idempotencyKey, target, deps);
    return 'invalid' in child ? undefined : child;
  }

  return {
    async start(effect, pattern) {
      const params = isJsonObject(effect.input) ? effect.input : {};
      const target = await localTarget(params);
      if (target === undefined) return undefined;
      const child = childIdentity(params, effect.idempotencyKey, target, deps);
      if ('invalid' in child) return fail('StepFunctions.InvalidNameException', child.invalid);
      const input = childInput(params);
      if (isJsonObject(input) && 'invalid' in input && typeof input.invalid === 'string') {
        return fail('StepFunctions.InvalidExecutionInputException', input.invalid);
      }
      const locator = effect.taskToken === undefined ? undefined : readTaskTokenLocator(effect.taskToken);
      const executionId = locator !== undefined && !('invalid' in locator) ? locator.executionId : undefined;
      if (executionId === undefined) {
        return fail('States.Runtime', `state '${effect.stateName}': a child execution needs a task token`);
      }
      const startDate = deps.now();
      const waits = pattern === 'sync' || pattern === 'sync:2';
      const parent: ParentLink = {
        executionId,
        invokeId: effect.id,
        startDate,
        ...(waits && effect.taskToken !== undefined ? { token: effect.taskToken, shape: pattern } : {}),
      };
      await deps.put(childStartRecord(child, input, parent, startDate));
      if (pattern !== 'request-response') return { pending: 'callback' };
      return {
        ok: true,
        output: { ExecutionArn: child.executionArn, StartDate: startDate, ...httpMetadata(undefined) },
      };
    },

    async sendTask(action, input, idempotencyKey) {
      const params = isJsonObject(input) ? input : {};
      const token = params.TaskToken;
      if (typeof token !== 'string' || 'invalid' in readTaskTokenLocator(token)) return undefined;
      const id = `sfn-${action}:${hash('sha256', `${idempotencyKey}\u0000${token}`, 'base64url')}`;
      if (action === 'sendTaskHeartbeat') {
        await deps.put(taskResultRecord(token, { heartbeat: true }, id));
        return { ok: true, output: {} };
      }
      if (action === 'sendTaskSuccess') {
        const output = typeof params.Output === 'string' ? parseOr(params.Output) : (params.Output ?? null);
        await deps.put(taskResultRecord(token, { ok: true, output }, id));
        return { ok: true, output: {} };
      }
      if (action === 'sendTaskFailure') {
        const error = typeof params.Error === 'string' ? params.Error : undefined;
        const cause = typeof params.Cause === 'string' ? params.Cause : undefined;
        await deps.put(
          taskResultRecord(
            token,
            {
              ok: false,
              ...(error === undefined ? {} : { error }),
              ...(cause === undefined ? {} : { cause }),
            },
            id,
          ),
        );
        return { ok: true, output: {} };
      }
      return undefined;
    },

    waitedChild: (effect) => childOf(effect, ['sync', 'sync:2']),

    async waitedChildren(state) {
      const ids: string[] = [];
      for (const { effect } of state.pending) {
        if (effect.type !== 'invoke') continue;
        const child = await childOf(effect, ['sync', 'sync:2', 'waitForTaskToken']);
        if (child !== undefined) ids.push(child.executionId);
      }
      return ids;
    },
  };
}

/** JSON text as JSON, anything else as the text itself (`SendTaskSuccess` takes its output as text). */
function parseOr(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}

/** How long one put on the router's own stream may take before it counts as failed (and is retried). */
const PUT_TIMEOUT_MS = 10_000;

/**
 * Puts records on the router's own stream through the SDK loader (the Kinesis client loads on first use,
 * so a deployment without nested executions never pays for it). A rejected put throws a retryable
 * error: the step that wanted it is redone on redelivery, and the record's dedup absorbs a repeat.
 */
export function streamPut(sdk: SdkIntegrations, streamName: string): (record: StreamRecord) => Promise<void> {
  return async (record) => {
    const sent = await sdk.send(
      'kinesis',
      'PutRecord',
      {
        StreamName: streamName,
        PartitionKey: record.partitionKey,
        Data: Buffer.from(JSON.stringify(record.data), 'utf8'),
      },
      AbortSignal.timeout(PUT_TIMEOUT_MS),
    );
    if (!sent.ok) {
      throw new RouterError(`putting a record on stream ${streamName} failed: ${sent.message}`, true);
    }
  };
}

/**
 * An invoker that starts children of this runtime and answers this runtime's own tokens in
 * `aws-sdk:sfn:sendTask*`, and hands everything else to `invoke` (Step Functions for other state
 * machines and tokens). The allowlist still applies: a resource the deployment does not allow was
 * refused when the graph was published and loaded.
 */
export function withNestedExecutions(invoke: TaskInvoker, nested: NestedExecutions): TaskInvoker {
  // Most tasks are neither: they go straight to `invoke`, without an async frame of their own.
  return (effect, signal) => {
    const resource = parseTaskResource(effect.resource);
    if (
      resource?.kind === 'service' &&
      resource.service === 'states' &&
      resource.action === 'startExecution'
    ) {
      return answerOr(nested.start(effect, resource.pattern), invoke, effect, signal);
    }
    if (resource?.kind === 'sdk' && resource.service === 'sfn' && resource.action.startsWith('sendTask')) {
      return answerOr(
        nested.sendTask(resource.action, effect.input, effect.idempotencyKey),
        invoke,
        effect,
        signal,
      );
    }
    return invoke(effect, signal);
  };
}

/** This runtime's answer to a task, or, when it has none (not one of its executions), `invoke`'s. */
async function answerOr(
  answer: Promise<InvokeOutcome | undefined>,
  invoke: TaskInvoker,
  ...[effect, signal]: Parameters<TaskInvoker>
): Promise<InvokeOutcome> {
  return (await answer) ?? invoke(effect, signal);
}
