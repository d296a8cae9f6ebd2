/**
 * `router redrive`: the operator's second chance. `redrive ID` restarts a FAILED standard execution from
 * the state that failed (the interpreter's `redriveExecution`), parking it as due now so the sweep
 * resumes it; `redrive --quarantined` puts quarantined records back on the stream unchanged, reopening
 * the executions that were quarantined after too many retryable failures, and marks them redriven
 * (`router quarantine redrive ID` does the same for one record).
 *
 * Why an execution cannot be redriven (it is not FAILED, it ended in a Fail state, it kept no state) is
 * decided from the pinned version's graph as published, before the allowlist is consulted, so the real
 * reason is never hidden behind an allowlist refusal.
 */

import type { ExecutionState } from '../../asl/index.ts';
import {
  type CompiledGraph,
  compileGraph,
  type EngineGraph,
  formatProblems,
  isJsonObject,
  loadGraph,
  processorGraph,
  redriveExecution,
} from '../../asl/index.ts';
import { awsEnvironmentFromEnv, kinesisClient } from '../../aws/index.ts';
import { resourceNamesFromEnv, routerSettingsFromEnv } from '../../config.ts';
import { routerDepsFromEnv } from '../../deps.ts';
import type { ExecutionRecord, ExecutionStore } from '../../executions/index.ts';
import { appendHistory } from '../../executions/index.ts';
import { CountingMetrics, silentLogger } from '../../observability/index.ts';
import { EnvelopeError, toEnvelope } from '../../pipeline/index.ts';
import { Producer, type PutRecordsClient } from '../../producer/index.ts';
import type { QuarantineDetail, QuarantineEntry, QuarantineStore } from '../../quarantine/index.ts';
import { EngineResolver, registryFromEnv } from '../../registry/index.ts';
import { type CliAllowlist, cliAllowlist } from '../allowlist.ts';
import {
  type Command,
  type CommandIo,
  type CommandOptions,
  parseCommandArgs,
  UsageError,
} from '../command.ts';
import { ALLOW_OPTION } from './engine-validate.ts';
import { requireExecution } from './executions.ts';

/** What redriving one execution needs. */
export interface RedriveDeps {
  readonly executions: ExecutionStore;
  /** The compiled graph of the version the execution is pinned to. */
  readonly graphOf: (engine: string, version: number) => Promise<CompiledGraph>;
  /**
   * Last check before anything is written, once the execution is known to be redrivable (the CLI checks
   * the graph against the allowlist here); throws to refuse.
   */
  readonly admit?: (engine: string, version: number) => Promise<void>;
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
  const whole = await deps.graphOf(record.engine, record.version);
  // A distributed Map's child runs its Map's item processor, and is redriven in it.
  const processor = record.parent?.processor;
  const graph = processor === undefined ? whole : processorGraph(whole, processor);
  if (graph === undefined) {
    throw new Error(
      `execution ${record.executionId}: ${record.engine}@${record.version} has no distributed Map at ${JSON.stringify(processor)} whose item processor it runs`,
    );
  }
  const redriven = redriveExecution(graph, JSON.parse(record.checkpoint) as ExecutionState, deps.now);
  await deps.admit?.(record.engine, record.version);
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
  readonly reason?: string;
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

/** What putting one quarantined record back did. */
export type QuarantineRedriveOutcome =
  | { readonly kind: 'redriven'; readonly reopened: boolean }
  | { readonly kind: 'failed'; readonly message: string };

/** Quarantine redrive without the filters: where records go back and what they reopen. */
export type QuarantineRedriveTarget = Omit<QuarantineRedriveOptions, 'engine' | 'reason' | 'since' | 'again'>;

/**
 * Puts one quarantined record back on the stream with its own partition key and marks it redriven. An
 * execution left QUARANTINED by too many retryable failures is reopened first (its checkpoint kept, its
 * failure count reset), or the redriven message would be answered as a duplicate.
 */
export async function redriveQuarantinedRecord(
  detail: QuarantineDetail,
  target: QuarantineRedriveTarget,
): Promise<QuarantineRedriveOutcome> {
  let reopened = false;
  const key = executionKeyOf(detail, detail.record.data);
  if (key !== undefined) {
    const record = await target.executions.get(key);
    if (record?.status === 'QUARANTINED') {
      await target.executions.reopen(record, { status: 'RUNNING', now: target.now().getTime() });
      reopened = true;
    }
  }
  const producer = new Producer({ kinesis: target.kinesis, streamName: target.streamName });
  const summary = await producer.put([
    { partitionKey: detail.record.partitionKey, data: Buffer.from(detail.record.data, 'base64') },
  ]);
  if (summary.failed > 0) {
    return { kind: 'failed', message: summary.failures[0]?.errorMessage ?? 'PutRecords failed' };
  }
  await target.quarantine.markRedriven(detail.id, target.now());
  return { kind: 'redriven', reopened };
}

/**
 * Puts quarantined records back on the stream (oldest first, each with its own partition key) and marks
 * them redriven; entries already redriven are skipped unless `again` is set.
 */
export async function redriveQuarantined(
  options: QuarantineRedriveOptions,
): Promise<QuarantineRedriveSummary> {
  let redriven = 0;
  let skipped = 0;
  let reopened = 0;
  const failed: { id: string; message: string }[] = [];
  const list = options.quarantine.list({
    ...(options.engine === undefined ? {} : { engine: options.engine }),
    ...(options.reason === undefined ? {} : { reason: options.reason }),
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
    const outcome = await redriveQuarantinedRecord(detail, options);
    if (outcome.kind === 'failed') {
      failed.push({ id: entry.id, message: outcome.message });
      continue;
    }
    redriven += 1;
    if (outcome.reopened) reopened += 1;
  }
  return { redriven, skipped, reopened, failed };
}

/**
 * Where a CLI redrive reads the pinned version: loaded as it was published, without the allowlist (the
 * sha256 of the stored graph is still checked), to decide whether and where the execution can be
 * redriven; then checked against the allowlist, refusing a graph the router would not load to resume it.
 */
export function redriveGraphs(
  env: NodeJS.ProcessEnv,
  allow: CliAllowlist,
  executionId: string,
): Pick<RedriveDeps, 'graphOf' | 'admit'> {
  const registry = registryFromEnv(env);
  const { taskTokenSecret } = routerSettingsFromEnv(env);
  const resolver = new EngineResolver<CompiledGraph>({
    index: registry.index,
    store: registry.store,
    load: (source, options) => loadGraph(source, { file: options.file }),
    compile: (graph: EngineGraph) => compileGraph(graph, { taskTokenSecret }),
    storeLabel: `s3://${registry.names.bucket}`,
  });
  return {
    graphOf: async (engine, version) => (await resolver.version(engine, version)).compiled,
    admit: async (engine, version) => {
      const { graph } = await resolver.version(engine, version);
      const { problems } = loadGraph(`${JSON.stringify(graph, null, 2)}\n`, {
        file: `${engine}@${version}`,
        allowlist: allow.patterns,
      });
      if (problems.length === 0) return;
      throw new Error(
        `execution ${executionId} was not redriven: ${engine}@${version} calls resources outside the allowlist, so the router would refuse to resume it:\n${formatProblems(problems)}\nthe allowlist checked is ${allow.source}; pass --allow PATTERN, or set ROUTER_RESOURCE_ALLOWLIST to the deployment's allowlist`,
      );
    },
  };
}

const OPTIONS = {
  quarantined: { type: 'boolean', description: 'put quarantined records back on the stream instead' },
  engine: { type: 'string', value: 'NAME', description: "with --quarantined: only this engine's records" },
  reason: {
    type: 'string',
    value: 'R',
    description: 'with --quarantined: only records quarantined for this reason (no-route, max-attempts, ...)',
  },
  since: {
    type: 'string',
    value: 'TIME',
    description: 'with --quarantined: only records that arrived at or after TIME (ISO 8601)',
  },
  again: { type: 'boolean', description: 'with --quarantined: also records already redriven once' },
  stream: {
    type: 'string',
    value: 'NAME',
    description: 'with --quarantined: the stream to put them on (default: ROUTER_STREAM, else router-events)',
  },
  ...ALLOW_OPTION,
} as const satisfies CommandOptions;

/** Checks a `--since` value, shared with the quarantine commands. */
export function parseSince(since: string | undefined): string | undefined {
  if (since !== undefined && Number.isNaN(Date.parse(since))) {
    throw new UsageError(`--since ${since}: not a time (use ISO 8601, e.g. 2026-01-31T12:00:00Z)`);
  }
  return since;
}

/** The `router redrive ID | --quarantined [--engine NAME] [--reason R] [--since TIME] [--again]` command. */
export const redrive: Command = {
  words: ['redrive'],
  usage: 'redrive ID | redrive --quarantined [--engine NAME] [--reason R] [--since TIME] [--again]',
  summary: 'restart a FAILED execution from its failed state, or put quarantined records back on the stream',
  options: OPTIONS,
  details: [
    'redrive ID: ID is an execution id (router executions list --status FAILED). The execution must have',
    'failed in a Task, Map or Parallel state, not in a Fail state (it would fail the same way again); its',
    "graph is then checked against the allowlist (ROUTER_RESOURCE_ALLOWLIST, else the router's default, plus",
    '--allow). The next sweep resumes it. For one quarantined record: router quarantine redrive ID.',
    'exit codes: 0 done, 1 refused or a record failed, 2 bad options',
  ],
  async run(args, io: CommandIo) {
    const { values, positionals } = parseCommandArgs(args, OPTIONS);
    const deps = routerDepsFromEnv(io.env, { logger: silentLogger, metrics: new CountingMetrics() });
    if (values.quarantined === true) {
      if (positionals.length > 0)
        throw new UsageError('give either an execution id or --quarantined, not both');
      const since = parseSince(values.since);
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
          ...(typeof values.reason === 'string' ? { reason: values.reason } : {}),
          ...(since === undefined ? {} : { since }),
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
      ...redriveGraphs(io.env, cliAllowlist(io.env, values.allow ?? []), record.executionId),
      now: Date.now(),
    });
    io.stdout.write(
      `execution ${record.executionId} redriven from state '${stateName}'; the next sweep resumes it\n`,
    );
    return 0;
  },
};
