/**
 * `router activity poll NAME`: an activity worker's way to get work, as Step Functions' GetActivityTask
 * is. It takes the oldest task waiting for the activity (`arn:aws:states:REGION:ACCOUNT:activity:NAME`)
 * from the executions table, skipping tasks whose execution no longer waits, and prints
 * `{"taskToken": ..., "input": ...}`; the worker answers with `router task success | failure TOKEN`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { awsEnvironmentFromEnv, dynamoDbDocumentClient } from '../../aws/index.ts';
import { resourceNamesFromEnv } from '../../config.ts';
import { DynamoDBActivityQueue } from '../../invoke/index.ts';
import { locateTask } from '../../pipeline/index.ts';
import { type Command, type CommandOptions, parseCommandArgs, UsageError } from '../command.ts';
import { executionStoreFromEnv } from './executions.ts';

const OPTIONS = {
  wait: {
    type: 'string',
    value: 'SECONDS',
    description: 'keep looking for a task this long before giving up (default 0, at most 60)',
  },
} as const satisfies CommandOptions;

/** The `router activity poll NAME [--wait SECONDS]` command. */
export const activityPoll: Command = {
  words: ['activity', 'poll'],
  usage: 'activity poll NAME [--wait SECONDS]',
  summary: 'take the oldest task waiting for an activity and print its task token and input',
  options: OPTIONS,
  details: [
    'NAME is the activity name of the Task resource arn:aws:states:REGION:ACCOUNT:activity:NAME.',
    "The task is the worker's once printed: answer it with router task success|failure|heartbeat TOKEN.",
    'exit codes: 0 a task was taken, 3 none waited, 2 a usage error',
  ],
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, OPTIONS);
    const name = positionals[0];
    if (name === undefined || name === '') throw new UsageError('name the activity');
    if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
    const waitSeconds = values.wait === undefined ? 0 : Number(values.wait);
    if (!Number.isFinite(waitSeconds) || waitSeconds < 0 || waitSeconds > 60) {
      throw new UsageError(`--wait must be a number of seconds from 0 to 60, got '${String(values.wait)}'`);
    }
    const queue = new DynamoDBActivityQueue({
      dynamodb: dynamoDbDocumentClient(awsEnvironmentFromEnv(io.env)),
      table: resourceNamesFromEnv(io.env).executionsTable,
    });
    const executions = executionStoreFromEnv(io.env);
    const stillWaited = async (task: { taskToken: string }): Promise<boolean> =>
      (await locateTask(task.taskToken, executions, undefined, Date.now())).kind !== 'rejected';
    const until = Date.now() + waitSeconds * 1000;
    for (;;) {
      const task = await queue.take(name, stillWaited);
      if (task !== undefined) {
        io.stdout.write(`${JSON.stringify({ taskToken: task.taskToken, input: task.input })}\n`);
        return 0;
      }
      if (Date.now() >= until) break;
      await sleep(Math.min(1_000, until - Date.now()));
    }
    io.stderr.write(`router activity poll: no task waits for activity '${name}'\n`);
    return 3;
  },
};
