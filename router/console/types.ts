/**
 * The console's JSON API shapes: what the server answers and the browser code reads. Plain data only, so
 * the same file types both sides (the UI bundle imports nothing else from the runtime).
 */

/** How a state ended up in one execution, the colour it is drawn in. */
export type StateStatus =
  | 'succeeded'
  | 'failed'
  | 'caught'
  | 'retried'
  | 'running'
  | 'waiting'
  | 'not-reached';

/** One state of a graph, in a scope (`''` the top level, `Fan/*` Map Fan's items, `Par/1` branch 1). */
export interface GraphNode {
  readonly id: string;
  readonly name: string;
  /** State type, or `start` / `end` for a scope's markers. */
  readonly type: string;
  readonly scope: string;
  /** For a Map or Parallel state: the scopes of its item processor or branches. */
  readonly children?: readonly string[];
}

/** A transition of a graph. */
export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: 'next' | 'choice' | 'default' | 'catch';
  readonly label?: string;
}

/** One scope of a graph: the top level, a Parallel branch or a Map item processor. */
export interface GraphScope {
  readonly id: string;
  readonly label: string;
  /** The Map or Parallel node it belongs to (absent for the top level). */
  readonly owner?: string;
}

/** A graph as the console draws it: built from the compiled graph `router engine graph` renders. */
export interface GraphModel {
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
  readonly scopes: readonly GraphScope[];
}

/** An alias and where it points. */
export interface AliasView {
  readonly alias: string;
  readonly targets: readonly { readonly version: number; readonly weight: number }[];
  readonly previous: readonly (readonly { readonly version: number; readonly weight: number }[])[];
  readonly updatedAt: string;
  readonly text: string;
}

/** One engine on the Engines page. */
export interface EngineView {
  readonly engine: string;
  readonly latestVersion: number;
  readonly updatedAt: string;
  readonly live?: AliasView;
}

/** One published version. */
export interface VersionView {
  readonly version: number;
  readonly mode: string;
  readonly publishedAt: string;
  readonly sha256: string;
  readonly comment?: string;
}

/** An engine's detail: versions (publish history), its live alias and every other alias. */
export interface EngineDetail {
  readonly engine: string;
  readonly versions: readonly VersionView[];
  readonly live?: AliasView;
  readonly aliases: readonly AliasView[];
}

/** One row of the Executions page. */
export interface ExecutionRow {
  readonly executionId: string;
  readonly engine: string;
  readonly version: number;
  readonly status: string;
  readonly dedupKey: string;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly error?: string;
}

/** A page of executions, newest first; `next` continues it (absent at the end). */
export interface ExecutionsPage {
  readonly rows: readonly ExecutionRow[];
  readonly next?: string;
  /** Executions the engines' queries returned for this page, before merging (bounded). */
  readonly read: number;
}

/** Counts per status; a capped count means "at least". */
export interface StatusCounts {
  readonly counts: Readonly<Record<string, { readonly count: number; readonly capped: boolean }>>;
}

/** One visit of a state in an execution. */
export interface VisitView {
  /** The graph node it visited. */
  readonly node: string;
  readonly stateName: string;
  readonly stateType: string;
  /** Map item or Parallel branch indexes from the top level (`[2]` = item 2 of the enclosing Map). */
  readonly items: readonly number[];
  readonly status: StateStatus;
  /** Epoch ms. */
  readonly start: number;
  readonly end?: number;
  readonly retries: number;
  readonly input?: unknown;
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
  readonly redriven?: boolean;
}

/** A task token the execution waits on. */
export interface TokenView {
  readonly stateName: string;
  readonly resource: string;
  readonly taskToken: string;
  readonly submitted: boolean;
}

/** One history event, as the timeline lists it. */
export interface EventView {
  readonly id: number;
  readonly type: string;
  readonly timestamp: number;
  readonly stateName?: string;
  readonly thread: string;
  readonly error?: string;
  readonly cause?: string;
  readonly attempt?: number;
}

/** The Execution page. */
export interface ExecutionDetail {
  readonly summary: Readonly<Record<string, unknown>>;
  readonly graph?: GraphModel;
  readonly graphError?: string;
  readonly visits: readonly VisitView[];
  readonly events: readonly EventView[];
  readonly tokens: readonly TokenView[];
  /** The execution that started this one (a nested `states:startExecution`), from its record's link. */
  readonly parent?: string;
  /** The executions this one started, as its record lists them (the latest, see `CHILDREN_KEPT`). */
  readonly children: readonly string[];
  /** Why it cannot be redriven, or absent when it can. */
  readonly redrive: { readonly possible: boolean; readonly reason?: string };
}

/** One quarantine entry. */
export interface QuarantineRow {
  readonly id: string;
  readonly reason: string;
  readonly message: string;
  readonly engine?: string;
  readonly quarantinedAt: string;
  readonly redrivenAt?: string;
  readonly shardId: string;
  readonly sequenceNumber: string;
}

/** A page of quarantine entries with their counts by reason and engine (over the page). */
export interface QuarantinePage {
  readonly rows: readonly QuarantineRow[];
  readonly byReason: Readonly<Record<string, number>>;
  readonly byEngine: Readonly<Record<string, number>>;
  readonly next?: string;
}

/** One shard on the Stream page. */
export interface ShardView {
  readonly shardId: string;
  readonly checkpoint?: string;
  readonly checkpointAt?: string;
  /** Ms between the oldest record not yet done and the newest on the shard (GetRecords MillisBehindLatest). */
  readonly iteratorAgeMs?: number;
  /** Records completed per second over the last minute, when the console runs beside the mapping. */
  readonly recordsPerSecond?: number;
  readonly batches?: number;
  readonly batchesRetried?: number;
}

/** The Stream page. */
export interface StreamView {
  readonly stream: string;
  readonly shards: readonly ShardView[];
  /** Where the per-batch figures come from, or why they are absent. */
  readonly activity: string;
}

/** The work of one execution and its price. */
export interface CostRow {
  readonly executionId: string;
  readonly dedupKey: string;
  readonly engine: string;
  readonly status: string;
  readonly storeWrites: number;
  readonly storeReads: number;
  readonly transitions: number;
  readonly invocations: number;
  readonly invocationMs: number;
  readonly durationMs: number;
  readonly routerUsd: number;
  readonly standardUsd: number;
  readonly expressUsd: number;
}

/** The Cost page: per execution and summed per engine, over the newest executions. */
export interface CostView {
  readonly rows: readonly CostRow[];
  readonly engines: readonly (Omit<CostRow, 'executionId' | 'dedupKey' | 'status'> & {
    readonly executions: number;
  })[];
  readonly prices: Readonly<Record<string, string>>;
}
