/**
 * The console's JSON API: every page's reads, bounded and paged, and its writes (promote, canary,
 * rollback, redrive), each through the same function the CLI command calls. Answers are plain data
 * (`types.ts`); a refusal is an {@link ApiError} with the status and the reason the page shows.
 */
import { type EngineGraph, loadGraph } from '../asl/index.ts';
import {
  cliAllowlist,
  decodeRecordData,
  describeAlias,
  executionSummary,
  redriveFailedExecution,
  redriveGraphs,
  redriveQuarantinedRecord,
} from '../cli/index.ts';
import type { ExecutionRecord, ExecutionStatus, ExecutionStore } from '../executions/index.ts';
import { decodeHistory, listingSortKey } from '../executions/index.ts';
import type { PutRecordsClient } from '../producer/index.ts';
import type { QuarantineStore } from '../quarantine/index.ts';
import {
  type AliasRecord,
  canaryVersion,
  EngineResolver,
  promoteVersion,
  type Registry,
  rollbackAlias,
} from '../registry/index.ts';
import { costByEngine, costOf, PRICES } from './cost.ts';
import { eventsOf, tokensOf, visitsOf } from './executionView.ts';
import { graphModel } from './graphView.ts';
import { readStream, type StreamSource } from './streamView.ts';
import type {
  AliasView,
  CostView,
  EngineDetail,
  EngineView,
  ExecutionDetail,
  ExecutionRow,
  ExecutionsPage,
  GraphModel,
  QuarantinePage,
  QuarantineRow,
  StatusCounts,
  StreamView,
} from './types.ts';

/** A request the API refuses: `status` is the HTTP status, `message` what the page shows. */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** What the console reads and writes: the deployment the CLI's environment names. */
export interface ConsoleDeps {
  readonly registry: Registry;
  readonly executions: ExecutionStore;
  readonly quarantine: QuarantineStore;
  readonly kinesis: PutRecordsClient;
  readonly stream: StreamSource;
  /** The environment the CLI would run with (allowlist, names). */
  readonly env: NodeJS.ProcessEnv;
  readonly now: () => number;
}

const STATUSES: readonly ExecutionStatus[] = ['RUNNING', 'WAITING', 'SUCCEEDED', 'FAILED', 'QUARANTINED'];
/** Rows per Executions page. */
const PAGE_SIZE = 50;
/** Most index items one engine's query reads for one page. */
const SCAN_PER_ENGINE = 400;
/** Counts stop here ("200+"): a count reads the items it counts, so it is bounded like a page. */
const COUNT_CAP = 200;
/** Executions the Cost page reads per engine. */
const COST_EXECUTIONS = 50;
/** Quarantine entries per page. */
const QUARANTINE_PAGE = 100;

function aliasView(alias: AliasRecord | undefined): AliasView | undefined {
  if (alias === undefined) return undefined;
  return {
    alias: alias.alias,
    targets: alias.targets,
    previous: alias.previous,
    updatedAt: alias.updatedAt,
    text: describeAlias(alias),
  };
}

function rowOf(record: ExecutionRecord): ExecutionRow {
  return {
    executionId: record.executionId,
    engine: record.engine,
    version: record.version,
    status: record.status,
    dedupKey: record.dedupKey,
    startedAt: record.startedAt,
    updatedAt: record.updatedAt,
    ...(record.error === undefined ? {} : { error: record.error }),
  };
}

function positive(value: unknown, what: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new ApiError(400, `${what} must be a positive integer`);
  return n;
}

function isoOrUndefined(value: string | undefined, what: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) throw new ApiError(400, `${what} '${value}' is not a time`);
  return new Date(at).toISOString();
}

/** The filters of the Executions page. */
export interface ExecutionFilter {
  readonly engine?: string;
  readonly version?: string;
  readonly status?: string;
  readonly from?: string;
  readonly to?: string;
  readonly text?: string;
  readonly before?: string;
}

/** The console's reads and writes. */
export class ConsoleApi {
  readonly #deps: ConsoleDeps;
  readonly #graphs: EngineResolver<EngineGraph>;

  constructor(deps: ConsoleDeps) {
    this.#deps = deps;
    const { registry } = deps;
    this.#graphs = new EngineResolver<EngineGraph>({
      index: registry.index,
      store: registry.store,
      // As published: the graph is drawn, not run, so the allowlist is not consulted.
      load: (source, options) => loadGraph(source, { file: options.file }),
      compile: (graph) => graph,
      storeLabel: `s3://${registry.names.bucket}`,
    });
  }

  /** Every engine with its live alias. */
  async engines(): Promise<EngineView[]> {
    const { index } = this.#deps.registry;
    const [engines, aliases] = await Promise.all([index.listEngines(), index.listAliases('live')]);
    const live = new Map(aliases.map((a) => [a.engine, a]));
    return engines.map((e) => {
      const alias = aliasView(live.get(e.engine));
      return {
        engine: e.engine,
        latestVersion: e.latestVersion,
        updatedAt: e.updatedAt,
        ...(alias === undefined ? {} : { live: alias }),
      };
    });
  }

  /** One engine: its versions (the publish history) and its live alias with the moves before. */
  async engine(name: string): Promise<EngineDetail> {
    const { index } = this.#deps.registry;
    const [versions, aliases] = await Promise.all([index.listVersions(name), index.listEngineAliases(name)]);
    if (versions.length === 0) throw new ApiError(404, `engine '${name}' has no published versions`);
    const alias = aliasView(aliases.find((a) => a.alias === 'live'));
    return {
      engine: name,
      versions: versions.map((v) => ({
        version: v.version,
        mode: v.mode,
        publishedAt: v.publishedAt,
        sha256: v.sha256,
        ...(v.comment === undefined ? {} : { comment: v.comment }),
      })),
      ...(alias === undefined ? {} : { live: alias }),
      aliases: aliases.map(aliasView).filter((a): a is AliasView => a !== undefined),
    };
  }

  /** The graph of one version, as drawn. */
  async graph(engine: string, version: number): Promise<GraphModel> {
    try {
      return graphModel((await this.#graphs.version(engine, version)).graph);
    } catch (error) {
      throw new ApiError(
        404,
        `engine ${engine}@${version}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  /** `router engine promote`. */
  async promote(engine: string, version: number): Promise<AliasView | undefined> {
    return aliasView(await promoteVersion(engine, version, this.#deps.registry));
  }

  /** `router engine canary`. */
  async canary(engine: string, version: number, percent: number): Promise<AliasView | undefined> {
    if (!(percent > 0 && percent < 100)) throw new ApiError(400, 'percent must be between 0 and 100');
    return aliasView(await canaryVersion(engine, version, percent, this.#deps.registry));
  }

  /** `router engine rollback`. */
  async rollback(engine: string): Promise<AliasView | undefined> {
    return aliasView(await rollbackAlias(engine, this.#deps.registry));
  }

  async #engineNames(engine: string | undefined): Promise<string[]> {
    if (engine !== undefined && engine !== '') return [engine];
    return (await this.#deps.registry.index.listEngines()).map((e) => e.engine);
  }

  /**
   * One page of executions, newest first, over one engine or all of them: each engine's index is read
   * from the cursor (at most {@link SCAN_PER_ENGINE} items), and only rows every engine has been read
   * past are shown, so the next page starts where this one is complete.
   */
  async executions(filter: ExecutionFilter): Promise<ExecutionsPage> {
    const status =
      filter.status === undefined || filter.status === '' ? undefined : filter.status.toUpperCase();
    if (status !== undefined && !STATUSES.includes(status as ExecutionStatus))
      throw new ApiError(400, `status '${filter.status}': expected one of ${STATUSES.join(', ')}`);
    const version =
      filter.version === undefined || filter.version === '' ? undefined : positive(filter.version, 'version');
    const from = isoOrUndefined(filter.from, 'from');
    const to = isoOrUndefined(filter.to, 'to');
    const engines = await this.#engineNames(filter.engine);
    const pages = await Promise.all(
      engines.map((engine) =>
        this.#deps.executions.listPage({
          engine,
          limit: PAGE_SIZE,
          scanLimit: SCAN_PER_ENGINE,
          ...(status === undefined ? {} : { status: status as ExecutionStatus }),
          ...(version === undefined ? {} : { version }),
          ...(filter.text === undefined || filter.text === '' ? {} : { text: filter.text }),
          ...(from === undefined ? {} : { from }),
          ...(to === undefined ? {} : { to }),
          ...(filter.before === undefined || filter.before === '' ? {} : { before: filter.before }),
        }),
      ),
    );
    const floor = pages
      .map((p) => p.readTo)
      .filter((k): k is string => k !== undefined)
      .sort()
      .at(-1);
    const complete = pages
      .flatMap((p) => p.records)
      .filter((r) => floor === undefined || listingSortKey(r) >= floor)
      .sort((a, b) => (listingSortKey(a) < listingSortKey(b) ? 1 : -1));
    const rows = complete.slice(0, PAGE_SIZE);
    const last = rows.at(-1);
    const next = complete.length > PAGE_SIZE && last !== undefined ? listingSortKey(last) : floor;
    return {
      rows: rows.map(rowOf),
      read: pages.reduce((sum, p) => sum + p.records.length, 0),
      ...(next === undefined ? {} : { next }),
    };
  }

  /**
   * Executions per status: one count per engine and status on the status index, the cap shared among
   * the engines, so the page reads at most about {@link COUNT_CAP} items per status however many there are.
   */
  async counts(filter: Pick<ExecutionFilter, 'engine' | 'from' | 'to'>): Promise<StatusCounts> {
    const from = isoOrUndefined(filter.from, 'from');
    const to = isoOrUndefined(filter.to, 'to');
    const bounds = { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) };
    const engines = await this.#engineNames(filter.engine);
    const counts: Record<string, { count: number; capped: boolean }> = {};
    const cap = Math.max(1, Math.ceil(COUNT_CAP / engines.length));
    await Promise.all(
      STATUSES.flatMap((status) =>
        engines.map(async (engine) => {
          const found = await this.#deps.executions.countStatus(engine, status, bounds, cap);
          const sum = counts[status] ?? { count: 0, capped: false };
          counts[status] = { count: sum.count + found.count, capped: sum.capped || found.capped };
        }),
      ),
    );
    return { counts };
  }

  /**
   * Reads an execution: by its key when the page knows its dedup key (one GetItem), else by id (which
   * searches the engine's listing).
   */
  async #record(id: string, dedupKey?: string): Promise<ExecutionRecord> {
    if (!id.includes(':'))
      throw new ApiError(400, `'${id}' is not an execution id (they look like ENGINE:DIGEST)`);
    const engine = id.slice(0, id.lastIndexOf(':'));
    const byKey = dedupKey === undefined ? undefined : await this.#deps.executions.get({ engine, dedupKey });
    const record = byKey?.executionId === id ? byKey : await this.#deps.executions.find(id);
    if (record === undefined) throw new ApiError(404, `no execution ${id} (never started, or expired)`);
    return record;
  }

  /** The Execution page. */
  async execution(id: string, dedupKey?: string): Promise<ExecutionDetail> {
    const record = await this.#record(id, dedupKey);
    let graph: GraphModel | undefined;
    let graphError: string | undefined;
    try {
      graph = await this.graph(record.engine, record.version);
    } catch (error) {
      graphError = error instanceof Error ? error.message : String(error);
    }
    const events = decodeHistory(record.history);
    const visits = visitsOf(events, graph);
    const summary = executionSummary(record);
    const redrivable =
      record.status !== 'FAILED'
        ? `only a FAILED execution can be redriven (this one is ${record.status})`
        : record.checkpoint === undefined
          ? 'it kept no state (an express execution): put its message again instead'
          : undefined;
    return {
      summary,
      ...(graph === undefined ? {} : { graph }),
      ...(graphError === undefined ? {} : { graphError }),
      visits,
      events: eventsOf(events),
      tokens: tokensOf(record),
      ...(record.parent === undefined ? {} : { parent: record.parent.executionId }),
      children: record.children ?? [],
      redrive: redrivable === undefined ? { possible: true } : { possible: false, reason: redrivable },
    };
  }

  /** `router redrive ID`: reopens the execution at its failed state, due now (the sweep resumes it). */
  async redrive(id: string, dedupKey?: string): Promise<{ stateName: string }> {
    const record = await this.#record(id, dedupKey);
    try {
      const { stateName } = await redriveFailedExecution(record, {
        executions: this.#deps.executions,
        ...redriveGraphs(this.#deps.env, cliAllowlist(this.#deps.env, []), record.executionId),
        now: this.#deps.now(),
      });
      return { stateName };
    } catch (error) {
      throw new ApiError(409, error instanceof Error ? error.message : String(error));
    }
  }

  /** A page of quarantine entries in arrival order, from the cursor `after` (an entry id). */
  async quarantine(filter: { engine?: string; reason?: string; after?: string }): Promise<QuarantinePage> {
    const rows: QuarantineRow[] = [];
    const byReason: Record<string, number> = {};
    const byEngine: Record<string, number> = {};
    const after = filter.after === '' ? undefined : filter.after;
    const since = after?.split('#')[0];
    let more = false;
    for await (const entry of this.#deps.quarantine.list({
      ...(filter.engine === undefined || filter.engine === '' ? {} : { engine: filter.engine }),
      ...(filter.reason === undefined || filter.reason === '' ? {} : { reason: filter.reason }),
      ...(since === undefined ? {} : { since }),
      limit: QUARANTINE_PAGE + 50,
    })) {
      if (after !== undefined && entry.id <= after) continue;
      if (rows.length === QUARANTINE_PAGE) {
        more = true;
        break;
      }
      rows.push({
        id: entry.id,
        reason: entry.reason,
        message: entry.message,
        quarantinedAt: entry.quarantinedAt,
        shardId: entry.record.shardId,
        sequenceNumber: entry.record.sequenceNumber,
        ...(entry.engine === undefined ? {} : { engine: entry.engine }),
        ...(entry.redrivenAt === undefined ? {} : { redrivenAt: entry.redrivenAt }),
      });
      byReason[entry.reason] = (byReason[entry.reason] ?? 0) + 1;
      const engine = entry.engine ?? '(none)';
      byEngine[engine] = (byEngine[engine] ?? 0) + 1;
    }
    const last = rows.at(-1);
    return { rows, byReason, byEngine, ...(more && last !== undefined ? { next: last.id } : {}) };
  }

  /** One quarantine entry with its raw record decoded. */
  async quarantineEntry(id: string): Promise<Record<string, unknown>> {
    const detail = await this.#deps.quarantine.get(id);
    if (detail === undefined) throw new ApiError(404, `no quarantine entry ${id}`);
    return { ...detail, decoded: decodeRecordData(detail.record.data) };
  }

  /** `router quarantine redrive ID`. */
  async redriveQuarantined(id: string): Promise<{ reopened: boolean }> {
    const detail = await this.#deps.quarantine.get(id);
    if (detail === undefined) throw new ApiError(404, `no quarantine entry ${id}`);
    const outcome = await redriveQuarantinedRecord(detail, {
      quarantine: this.#deps.quarantine,
      executions: this.#deps.executions,
      kinesis: this.#deps.kinesis,
      streamName: this.#deps.stream.stream,
      now: () => new Date(this.#deps.now()),
    });
    if (outcome.kind === 'failed') throw new ApiError(502, `the record was not put back: ${outcome.message}`);
    return { reopened: outcome.reopened };
  }

  /** The Stream page. */
  stream(): Promise<StreamView> {
    return readStream(this.#deps.stream);
  }

  /** The Cost page, over each engine's newest {@link COST_EXECUTIONS} executions. */
  async cost(engine: string | undefined): Promise<CostView> {
    const engines = await this.#engineNames(engine);
    const pages = await Promise.all(
      engines.map((name) =>
        this.#deps.executions.listPage({
          engine: name,
          limit: COST_EXECUTIONS,
          scanLimit: COST_EXECUTIONS,
          withHistory: true,
        }),
      ),
    );
    const rows = pages.flatMap((p) => p.records).map(costOf);
    return { rows, engines: costByEngine(rows), prices: PRICES };
  }
}
