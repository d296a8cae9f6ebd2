/**
 * `router task success | failure | heartbeat TOKEN`: answers a `.waitForTaskToken` task from a shell or
 * a script, the way a step would, by putting a `router.task.*` CloudEvent on the stream. Before putting
 * it checks the token against the executions table, so a token that the router would reject (unknown,
 * forged, or no longer waited for) fails here with exit code 1 instead of being quarantined later.
 */
import { randomUUID } from 'node:crypto';
import type { JsonValue } from '../../asl/index.ts';
import { awsEnvironmentFromEnv, kinesisClient } from '../../aws/index.ts';
import { resourceNamesFromEnv } from '../../config.ts';
import { locateTask, tokenLabel } from '../../pipeline/index.ts';
import { Producer } from '../../producer/index.ts';
import { TaskTokenKeyring } from '../../security/index.ts';
import {
  type Command,
  type CommandIo,
  type CommandOptions,
  parseCommandArgs,
  UsageError,
} from '../command.ts';
import { executionStoreFromEnv } from './executions.ts';

type Action = 'success' | 'failure' | 'heartbeat';

/** The CloudEvent that answers a task; `data` is what `router/pipeline/envelope.ts` decodes. */
export function callbackEvent(
  action: Action,
  taskToken: string,
  fields: { readonly output?: JsonValue; readonly error?: string; readonly cause?: string } = {},
): Record<string, JsonValue> {
  const data: Record<string, JsonValue> = { taskToken };
  if (action === 'success') data.output = fields.output ?? null;
  if (action === 'failure') {
    if (fields.error !== undefined) data.error = fields.error;
    if (fields.cause !== undefined) data.cause = fields.cause;
  }
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: 'router/cli',
    type: `router.task.${action}`,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data,
  };
}

const STREAM_OPTION = {
  stream: {
    type: 'string',
    value: 'NAME',
    description: 'the stream (default: ROUTER_STREAM, else router-events)',
  },
} as const satisfies CommandOptions;

/** The options of each answer: what it carries, plus the stream. */
const OPTIONS: Record<Action, CommandOptions> = {
  success: {
    output: { type: 'string', value: 'JSON', description: "the task's output (default null)" },
    ...STREAM_OPTION,
  },
  failure: {
    error: { type: 'string', value: 'E', description: 'the error name Catch and Retry match on' },
    cause: { type: 'string', value: 'C', description: 'the human-readable cause' },
    ...STREAM_OPTION,
  },
  heartbeat: STREAM_OPTION,
};

function taskCommand(action: Action): Command {
  const usage =
    action === 'success'
      ? 'task success TOKEN [--output JSON]'
      : action === 'failure'
        ? 'task failure TOKEN [--error E] [--cause C]'
        : 'task heartbeat TOKEN';
  const options = OPTIONS[action];
  return {
    words: ['task', action],
    usage,
    summary:
      action === 'success'
        ? 'complete a waiting callback task with an output'
        : action === 'failure'
          ? 'fail a waiting callback task with an error and cause'
          : 'tell a waiting callback task its worker is alive (resets HeartbeatSeconds)',
    options,
    details: [
      'TOKEN is the task token the step received ($$.Task.Token). It is checked against the executions table',
      'first (and against ROUTER_TASK_TOKEN_SECRET when set); exit 1 if the router would reject it.',
    ],
    async run(args, io: CommandIo) {
      const parsed = parseCommandArgs(args, options);
      const { values, positionals } = parsed;
      const token = positionals[0];
      if (token === undefined || token === '') throw new UsageError('give the task token');
      if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
      let output: JsonValue = null;
      if (typeof values.output === 'string') {
        try {
          output = JSON.parse(values.output) as JsonValue;
        } catch (error) {
          throw new UsageError(
            `--output is not JSON: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      }
      // The deployment's secret, when the operator has it; otherwise the token is checked by lookup alone.
      const secretText = io.env.ROUTER_TASK_TOKEN_SECRET;
      const verify =
        secretText === undefined || secretText === ''
          ? undefined
          : new TaskTokenKeyring({ current: secretText, previous: [] }).verify;
      const found = await locateTask(token, executionStoreFromEnv(io.env), verify, Date.now());
      if (found.kind === 'rejected') {
        io.stderr.write(`router task ${action}: rejected (${found.reason}): ${found.message}\n`);
        return 1;
      }
      const partitionKey = found.record.executionId;
      const event = callbackEvent(action, token, {
        output,
        ...(typeof values.error === 'string' ? { error: values.error } : {}),
        ...(typeof values.cause === 'string' ? { cause: values.cause } : {}),
      });
      const stream = typeof values.stream === 'string' ? values.stream : resourceNamesFromEnv(io.env).stream;
      const kinesis = kinesisClient(awsEnvironmentFromEnv(io.env));
      try {
        const summary = await new Producer({ kinesis, streamName: stream }).put([
          { partitionKey, data: event },
        ]);
        if (summary.failed > 0) {
          const failure = summary.failures[0];
          io.stderr.write(
            `router task ${action}: could not put the callback on ${stream}: ${failure?.errorCode ?? ''} ${failure?.errorMessage ?? ''}\n`,
          );
          return 1;
        }
      } finally {
        kinesis.destroy();
      }
      io.stdout.write(
        `task ${action} for ${tokenLabel(token)} put on ${stream} (execution ${found.record.executionId}${found.kind === 'busy' ? ', running now: applied when it parks' : ''})\n`,
      );
      return 0;
    },
  };
}

/** The `router task ...` commands. */
export const taskCommands: readonly Command[] = [
  taskCommand('success'),
  taskCommand('failure'),
  taskCommand('heartbeat'),
];
