/**
 * `router executions list | show | trace`: the operator's view of durable executions, read from the
 * executions table of the deployment the environment points at. `list` queries the per-engine index
 * (or scans without `--engine`), `show` prints one execution as JSON, `trace` prints its timeline.
 */
import type { JsonValue } from '../../asl/index.ts';
import { awsEnvironmentFromEnv, dynamoDbDocumentClient, s3Client } from '../../aws/index.ts';
import { resourceNamesFromEnv } from '../../config.ts';
import type { ExecutionRecord, ExecutionStatus, ExecutionStore } from '../../executions/index.ts';
import {
  DynamoDBExecutionStore,
  decodeHistory,
  linkLines,
  S3PayloadStore,
  traceLines,
} from '../../executions/index.ts';
import {
  type Command,
  type CommandIo,
  type CommandOptions,
  parseCommandArgs,
  UsageError,
} from '../command.ts';
import { table } from '../table.ts';

const STATUSES: ReadonlySet<string> = new Set(['RUNNING', 'WAITING', 'SUCCEEDED', 'FAILED', 'QUARANTINED']);

/** The executions store of the deployment the environment names. */
export function executionStoreFromEnv(env: NodeJS.ProcessEnv): DynamoDBExecutionStore {
  const aws = awsEnvironmentFromEnv(env);
  const names = resourceNamesFromEnv(env);
  return new DynamoDBExecutionStore({
    dynamodb: dynamoDbDocumentClient(aws),
    table: names.executionsTable,
    payloads: new S3PayloadStore({ s3: s3Client(aws), bucket: names.bucket }),
  });
}

/** Reads one execution by id, or explains that there is none. */
export async function requireExecution(
  store: ExecutionStore,
  id: string | undefined,
): Promise<ExecutionRecord> {
  if (id === undefined || id === '')
    throw new UsageError('give an execution id (see `router executions list`)');
  if (!id.includes(':'))
    throw new UsageError(`'${id}' is not an execution id (they look like ENGINE:DIGEST)`);
  const record = await store.find(id);
  if (record === undefined) throw new Error(`no execution ${id} (never started, or expired)`);
  return record;
}

function parseJson(text: string | undefined): JsonValue | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}

/** The execution's input: kept on its own by a finished execution, else read from the checkpoint. */
function inputOf(record: ExecutionRecord): JsonValue {
  const kept = parseJson(record.input);
  if (kept !== undefined) return kept;
  const state = parseJson(record.checkpoint);
  return typeof state === 'object' &&
    state !== null &&
    !Array.isArray(state) &&
    typeof state.context === 'object'
    ? ((state.context as { input?: JsonValue } | null)?.input ?? null)
    : null;
}

/** What `show` prints: the record without the checkpoint and history blobs, with input and output parsed. */
export function executionSummary(record: ExecutionRecord): Record<string, JsonValue> {
  const input = inputOf(record);
  const summary: Record<string, JsonValue> = {
    executionId: record.executionId,
    engine: record.engine,
    version: record.version,
    mode: record.mode,
    status: record.status,
    dedupKey: record.dedupKey,
    startedAt: record.startedAt,
    updatedAt: record.updatedAt,
    input,
  };
  const output = parseJson(record.output);
  if (output !== undefined) summary.output = output;
  if (record.error !== undefined) summary.error = record.error;
  if (record.cause !== undefined) summary.cause = record.cause;
  if (record.dueAt !== undefined) summary.dueAt = new Date(record.dueAt).toISOString();
  if (record.expiresAt !== undefined) summary.expiresAt = new Date(record.expiresAt * 1000).toISOString();
  if (record.origin !== undefined) summary.origin = { ...record.origin };
  if (record.parent !== undefined) {
    const { token: _token, ...parent } = record.parent;
    summary.parent = { ...parent, waits: record.parent.token !== undefined };
  }
  if (record.children !== undefined) summary.children = [...record.children];
  summary.historyEvents = decodeHistory(record.history).length;
  return summary;
}

const LIST_OPTIONS = {
  engine: { type: 'string', value: 'NAME', description: "one engine's executions (through its index)" },
  status: {
    type: 'string',
    value: 'S',
    description: 'only RUNNING, WAITING, SUCCEEDED, FAILED or QUARANTINED executions',
  },
  limit: { type: 'string', value: 'N', description: 'at most N executions (default 50)' },
} as const satisfies CommandOptions;

const list: Command = {
  words: ['executions', 'list'],
  usage: 'executions list [--engine NAME] [--status S] [--limit N]',
  summary: 'list executions, newest first (one engine through its index; all engines by a scan)',
  options: LIST_OPTIONS,
  details: ['The count goes to stderr, so stdout is the table alone.'],
  async run(args, io: CommandIo) {
    const { values, positionals } = parseCommandArgs(args, LIST_OPTIONS);
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const status = typeof values.status === 'string' ? values.status.toUpperCase() : undefined;
    if (status !== undefined && !STATUSES.has(status)) {
      throw new UsageError(`--status ${values.status}: expected one of ${[...STATUSES].join(', ')}`);
    }
    const limit = values.limit === undefined ? 50 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1)
      throw new UsageError(`--limit ${values.limit}: expected a positive integer`);
    const store = executionStoreFromEnv(io.env);
    const records = await store.list({
      limit,
      ...(typeof values.engine === 'string' ? { engine: values.engine } : {}),
      ...(status === undefined ? {} : { status: status as ExecutionStatus }),
    });
    const rows = records.map((r) => [
      r.executionId,
      `${r.engine}@${r.version}`,
      r.status,
      r.startedAt,
      r.updatedAt,
      r.error ?? '',
    ]);
    io.stdout.write(table(['EXECUTION', 'ENGINE@VERSION', 'STATUS', 'STARTED', 'UPDATED', 'ERROR'], rows));
    io.stderr.write(`${records.length} execution${records.length === 1 ? '' : 's'}\n`);
    return 0;
  },
};

const show: Command = {
  words: ['executions', 'show'],
  usage: 'executions show ID',
  summary: 'print one execution as JSON: status, input, output, error, version, timestamps',
  options: {},
  details: ['ID is the EXECUTION column of `router executions list` (ENGINE:DIGEST).'],
  async run(args, io) {
    const { positionals } = parseCommandArgs(args, {});
    const record = await requireExecution(executionStoreFromEnv(io.env), positionals[0]);
    io.stdout.write(`${JSON.stringify(executionSummary(record), null, 2)}\n`);
    return 0;
  },
};

const trace: Command = {
  words: ['executions', 'trace'],
  usage: 'executions trace ID',
  summary: 'print the timeline of one execution: a line per state with start, duration and outcome',
  options: {},
  details: ['ID is the EXECUTION column of `router executions list` (ENGINE:DIGEST).'],
  async run(args, io) {
    const { positionals } = parseCommandArgs(args, {});
    const record = await requireExecution(executionStoreFromEnv(io.env), positionals[0]);
    const events = decodeHistory(record.history);
    io.stdout.write(`${record.executionId} ${record.engine}@${record.version} ${record.status}\n`);
    for (const line of linkLines(record)) io.stdout.write(`${line}\n`);
    if (events.length === 0) {
      io.stdout.write('(no history recorded yet)\n');
      return 0;
    }
    for (const line of traceLines(events)) io.stdout.write(`${line}\n`);
    return 0;
  },
};

/** The `router executions ...` commands. */
export const executionsCommands: readonly Command[] = [list, show, trace];
