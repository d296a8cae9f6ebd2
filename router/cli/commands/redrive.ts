/**
 * `router redrive`: the operator's second chance. `redrive ID` restarts a FAILED standard execution from
 * the state that failed (the interpreter's `redriveExecution`), parking it as due now so the sweep
 * resumes it; `redrive --quarantined` puts quarantined records back on the stream unchanged, reopening
 * the executions that were quarantined after too many retryable failures, and marks them redriven.
 */
import type { CompiledGraph } from '../../asl/interpreter/compile.ts';
import { redriveExecution } from '../../asl/interpreter/redrive.ts';
import type { ExecutionState } from '../../asl/interpreter/state.ts';
import { isJsonObject } from '../../asl/types.ts';
import { awsEnvironmentFromEnv, kinesisClient } from '../../aws/clients.ts';
import { resourceNamesFromEnv } from '../../config.ts';
import { routerDepsFromEnv } from '../../deps.ts';
import type { ExecutionRecord, ExecutionStore } from '../../executions/ExecutionStore.ts';
import { appendHistory } from '../../executions/history.ts';
import { CountingMetrics, silentLogger } from '../../observability/telemetry.ts';
import { EnvelopeError, toEnvelope } from '../../pipeline/envelope.ts';
import { Producer, type PutRecordsClient } from '../../producer/Producer.ts';
import type { QuarantineEntry, QuarantineStore } from '../../quarantine/QuarantineStore.ts';
import { type Command, type CommandIo, parseCommandArgs, UsageError } from '../command.ts';
import { requireExecution } from './executions.ts';

/** What redriving one execution needs. */
export interface RedriveDeps {
  readonly executions: ExecutionStore;
  /** The compiled graph of the version the execution is pinned to. */
  readonly graphOf: (engine: string, version: number) => Promise<CompiledGraph>;
  readonly now: number;
}

/**
 * Reopens a FAILED execution at its failed state, due now; returns the record written and that state.
 *
 * @example
 * const { stateName } = await redriveFailedExecution(record, { executions, graphOf, now: Date.now() });
 * await router.sweep(); // resumes it
 */
export async function redriveFailedExecution(
  record: ExecutionRecord,
  deps: RedriveDeps,
): Promise<{ readonly record: ExecutionRecord; readonly stateName: string }> {
  if (record.status !== 'FAILED') {
    throw new Error(
      `execution ${record.executionId} is ${record.status}: only a FAILED execution can be redriven`,
    );
  }
  if (record.checkpoint === undefined) {
    throw new Error(
      `execution ${record.executionId} kept no state (an express execution): put its message again instead`,
    );
  }
  const graph = await deps.graphOf(record.engine, record.version);
  const redriven = redriveExecution(graph, JSON.parse(record.checkpoint) as ExecutionState, deps.now);
  const history = appendHistory(record.history, [redriven.event]);
  const written = await deps.executions.reopen(record, {
    checkpoint: JSON.stringify(redriven.state),
    status: 'WAITING',
    dueAt: deps.now,
    now: deps.now,
    ...(history === undefined ? {} : { history }),
  });
  return { record: written, stateName: redriven.stateName };
}

/** Options of {@link redriveQuarantined}. */
export interface QuarantineRedriveOptions {
  readonly quarantine: QuarantineStore;
  readonly executions: ExecutionStore;
  readonly kinesis: PutRecordsClient;
  readonly streamName: string;
  readonly engine?: string;
  readonly since?: string;
  /** Also entries already redriven once. */
  readonly again?: boolean;
  readonly now: () => Date;
}

/** What a quarantine redrive did. */
export interface QuarantineRedriveSummary {
  readonly redriven: number;
  readonly skipped: number;
  readonly reopened: number;
  readonly failed: readonly { readonly id: string; readonly message: string }[];
}

/** The execution a quarantined CloudEvent belongs to, when it names one. */
function executionKeyOf(
  entry: QuarantineEntry,
  data: string,
): { engine: string; dedupKey: string } | undefined {
  if (entry.engine === undefined) return undefined;
  try {
    const body: unknown = JSON.parse(Buffer.from(data, 'base64').toString('utf8'));
    if (!isJsonObject(body)) return undefined;
    const envelope = toEnvelope(body, '');
    return envelope.kind === 'cloudevent' ? { engine: entry.engine, dedupKey: envelope.dedupKey } : undefined;
  } catch (error) {
    if (error instanceof SyntaxError || error instanceof EnvelopeError) return undefined;
    throw error;
  }
}

/**
 * Puts quarantined records back on the stream (oldest first, each with its own partition key) and marks
 * them redriven. An execution left QUARANTINED by too many retryable failures is reopened first (its
 * checkpoint kept, its failure count reset), or the redriven message would be answered as a duplicate.
 */
export async function redriveQuarantined(
  options: QuarantineRedriveOptions,
): Promise<QuarantineRedriveSummary> {
  const producer = new Producer({ kinesis: options.kinesis, streamName: options.streamName });
  let redriven = 0;
  let skipped = 0;
  let reopened = 0;
  const failed: { id: string; message: string }[] = [];
  const list = options.quarantine.list({
    ...(options.engine === undefined ? {} : { engine: options.engine }),
    ...(options.since === undefined ? {} : { since: options.since }),
  });
  for await (const entry of list) {
    if (entry.redrivenAt !== undefined && options.again !== true) {
      skipped += 1;
      continue;
    }
    const detail = await options.quarantine.get(entry.id);
    if (detail === undefined) {
      failed.push({ id: entry.id, message: 'the entry disappeared while redriving' });
      continue;
    }
    const key = executionKeyOf(entry, detail.record.data);
    if (key !== undefined) {
      const record = await options.executions.get(key);
      if (record?.status === 'QUARANTINED') {
        await options.executions.reopen(record, { status: 'RUNNING', now: options.now().getTime() });
        reopened += 1;
      }
    }
    const summary = await producer.put([
      { partitionKey: detail.record.partitionKey, data: Buffer.from(detail.record.data, 'base64') },
    ]);
    if (summary.failed > 0) {
      failed.push({ id: entry.id, message: summary.failures[0]?.errorMessage ?? 'PutRecords failed' });
      continue;
    }
    await options.quarantine.markRedriven(entry.id, options.now());
    redriven += 1;
  }
  return { redriven, skipped, reopened, failed };
}

function parse(args: readonly string[]) {
  return parseCommandArgs(args, {
    quarantined: { type: 'boolean' },
    engine: { type: 'string' },
    since: { type: 'string' },
    again: { type: 'boolean' },
    stream: { type: 'string' },
  });
}

/** The `router redrive ID | --quarantined [--engine NAME] [--since TIME] [--again]` command. */
export const redrive: Command = {
  words: ['redrive'],
  usage: 'redrive ID | redrive --quarantined [--engine NAME] [--since TIME] [--again]',
  summary: 'restart a FAILED execution from its failed state, or put quarantined records back on the stream',
  async run(args, io: CommandIo) {
    const { values, positionals } = parse(args);
    const deps = routerDepsFromEnv(io.env, { logger: silentLogger, metrics: new CountingMetrics() });
    if (values.quarantined === true) {
      if (positionals.length > 0)
        throw new UsageError('give either an execution id or --quarantined, not both');
      if (typeof values.since === 'string' && Number.isNaN(Date.parse(values.since))) {
        throw new UsageError(`--since ${values.since}: not a time (use ISO 8601, e.g. 2026-01-31T12:00:00Z)`);
      }
      const kinesis = kinesisClient(awsEnvironmentFromEnv(io.env));
      const streamName =
        typeof values.stream === 'string' ? values.stream : resourceNamesFromEnv(io.env).stream;
      try {
        const summary = await redriveQuarantined({
          quarantine: deps.quarantine,
          executions: deps.executions,
          kinesis,
          streamName,
          now: () => new Date(),
          ...(typeof values.engine === 'string' ? { engine: values.engine } : {}),
          ...(typeof values.since === 'string' ? { since: values.since } : {}),
          ...(values.again === true ? { again: true } : {}),
        });
        io.stdout.write(
          `redrove ${summary.redriven} quarantined records to ${streamName} (${summary.reopened} executions reopened, ${summary.skipped} already redriven, ${summary.failed.length} failed)\n`,
        );
        for (const f of summary.failed) io.stderr.write(`  ${f.id}: ${f.message}\n`);
        return summary.failed.length > 0 ? 1 : 0;
      } finally {
        kinesis.destroy();
      }
    }
    if (positionals.length !== 1) throw new UsageError('give one execution id, or --quarantined');
    const record = await requireExecution(deps.executions, positionals[0]);
    const { stateName } = await redriveFailedExecution(record, {
      executions: deps.executions,
      graphOf: async (engine, version) => (await deps.resolver.version(engine, version)).compiled,
      now: Date.now(),
    });
    io.stdout.write(
      `execution ${record.executionId} redriven from state '${stateName}'; the next sweep resumes it\n`,
    );
    return 0;
  },
};
