/**
 * An in-memory router for unit tests and the in-process benchmark: memory stores, steps bound to local
 * functions, graphs published through the real publishing path.
 */

import type { ExecutionState, InvokeEffect } from '../../router/asl/index.ts';
import type { Clock } from '../../router/asl/interpreter/clock.ts';
import { loadGraph } from '../../router/asl/load.ts';
import { DEFAULT_ALLOWLIST, type RouterSettings, routerSettingsFromEnv } from '../../router/config.ts';
import { routerDeps } from '../../router/deps.ts';
import { withMapChildren } from '../../router/executions/MapChildren.ts';
import { MemoryExecutionStore } from '../../router/executions/MemoryExecutionStore.ts';
import {
  createNestedExecutions,
  type StreamRecord,
  settlementRecord,
  withNestedExecutions,
} from '../../router/executions/NestedExecutions.ts';
import type { Settlement } from '../../router/executions/parentLink.ts';
import { createLocalInvoker, type LocalStep } from '../../router/invoke/LocalInvoker.ts';
import { MessageEventRouter } from '../../router/MessageEventRouter.ts';
import { CountingMetrics, type RouterLogger, silentLogger } from '../../router/observability/telemetry.ts';
import { MemoryQuarantineStore } from '../../router/quarantine/MemoryQuarantineStore.ts';
import { MemoryGraphStore } from '../../router/registry/GraphStore.ts';
import { MemoryEngineIndex } from '../../router/registry/MemoryEngineIndex.ts';
import { type PublishResult, publishEngine } from '../../router/registry/publish.ts';
import type { TaskTokenKeyring } from '../../router/security/index.ts';

/** A router with everything in memory, and handles on its parts. */
export interface InMemoryRouter {
  readonly router: MessageEventRouter;
  readonly executions: MemoryExecutionStore;
  readonly quarantine: MemoryQuarantineStore;
  readonly index: MemoryEngineIndex;
  readonly metrics: CountingMetrics;
  /** Records the router put on its own stream (child starts, task results), oldest first. */
  readonly streamed: StreamRecord[];
  publish(source: string, options?: { engine?: string; canaryPercent?: number }): Promise<PublishResult>;
}

/** Builds an in-memory router whose Tasks call `steps` by function name. */
export function inMemoryRouter(
  steps: Readonly<Record<string, LocalStep>>,
  settings: Partial<RouterSettings> = {},
  clock?: Clock,
  parts: {
    readonly executions?: MemoryExecutionStore;
    readonly logger?: RouterLogger;
    /** Task-token secrets that can change while the router runs (read from Secrets Manager). */
    readonly taskTokens?: TaskTokenKeyring;
    /** Distributed Map children as executions started through the stream (default: threads in the run). */
    readonly mapChildren?: 'executions';
  } = {},
): InMemoryRouter {
  const index = new MemoryEngineIndex();
  const store = new MemoryGraphStore();
  const executions = parts.executions ?? new MemoryExecutionStore();
  const quarantine = new MemoryQuarantineStore();
  const metrics = new CountingMetrics();
  const streamed: StreamRecord[] = [];
  const put = async (record: StreamRecord): Promise<void> => {
    streamed.push(record);
  };
  const full: RouterSettings = {
    ...routerSettingsFromEnv({}),
    aliasTtlMs: 0,
    allowlist: DEFAULT_ALLOWLIST,
    ...settings,
  };
  const nested = createNestedExecutions({
    region: 'us-east-1',
    accountId: '123456789012',
    isEngine: async (engine) => (await deps.resolver.snapshot()).aliases.has(engine),
    put,
    now: () => deps.clock.now(),
  });
  const deps = routerDeps({
    index,
    store,
    load: (source, options) => loadGraph(source, { file: options.file, allowlist: full.allowlist }),
    executions,
    quarantine,
    invoke: withMapChildren(withNestedExecutions(createLocalInvoker(steps), nested), {
      region: 'us-east-1',
      accountId: '123456789012',
      put,
      now: () => deps.clock.now(),
    }),
    settings: full,
    logger: parts.logger ?? silentLogger,
    metrics,
    ...(clock === undefined ? {} : { clock }),
    ...(parts.taskTokens === undefined ? {} : { taskTokens: parts.taskTokens }),
    ...(parts.mapChildren === undefined ? {} : { mapChildren: parts.mapChildren }),
  });
  const childExecutions = {
    settleParent: (settlement: Settlement, child: { executionId: string }) =>
      put(settlementRecord(settlement, child)),
    waitedChildren: (state: ExecutionState) => nested.waitedChildren(state),
    waitedChild: (effect: InvokeEffect) => nested.waitedChild(effect),
  };
  return {
    router: new MessageEventRouter({ ...deps, childExecutions }),
    streamed,
    executions,
    quarantine,
    index,
    metrics,
    publish: (source, options = {}) =>
      publishEngine(
        {
          source,
          file: `${options.engine ?? 'engine'}.hjson`,
          ...(options.engine === undefined ? {} : { engine: options.engine }),
          ...(options.canaryPercent === undefined ? {} : { canaryPercent: options.canaryPercent }),
        },
        (s, o) => loadGraph(s, { file: o.file, allowlist: full.allowlist }),
        { index, store },
      ),
  };
}

/** A graph of `n` sequential Lambda Tasks named step1..stepN, each adding its name to `$.trail`. */
export function sequentialGraph(n: number, extra: Record<string, unknown> = {}): string {
  const states: Record<string, unknown> = {};
  for (let i = 1; i <= n; i += 1) {
    states[`Step${i}`] = {
      Type: 'Task',
      Resource: `arn:aws:lambda:us-east-1:000000000000:function:step${i}`,
      ResultPath: `$.step${i}`,
      ...(i === n ? { End: true } : { Next: `Step${i + 1}` }),
    };
  }
  return JSON.stringify({ StartAt: 'Step1', States: states, ...extra });
}
