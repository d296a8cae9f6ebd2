/**
 * An execution as the console shows it: every state visit with its input, output, error and cause and
 * the status it is drawn in, the event history as a timeline, the task tokens it waits on and the
 * executions it is linked to. Built from the stored record alone (history and checkpoint), like
 * `router executions trace`, so it costs one read.
 */
import { isJsonObject, type JsonValue } from '../asl/index.ts';
import type { decodeHistory, ExecutionRecord } from '../executions/index.ts';
import { nodeId } from './graphView.ts';
import type { EventView, GraphModel, StateStatus, TokenView, VisitView } from './types.ts';

type StoredEvent = ReturnType<typeof decodeHistory>[number];

const ENTERED = /^(\w+)StateEntered$/;
const EXITED = /^(\w+)StateExited$/;
const THREAD_SEGMENT = /^(.*)#\d+\.\d+\[(\d+)\]$/;

/**
 * Where a history thread runs in the graph: the scope (`Fan/*` for Map Fan's items, `Par/1` for a
 * Parallel branch) and the item or branch indexes from the top level.
 */
export function threadScope(
  thread: string,
  typeOf: (id: string) => string | undefined,
): { readonly scope: string; readonly items: number[] } {
  let scope = '';
  const items: number[] = [];
  for (const segment of thread.split('/')) {
    if (segment === '') continue;
    const match = THREAD_SEGMENT.exec(segment);
    if (match === null) break;
    const owner = nodeId(scope, match[1] ?? '');
    const index = Number(match[2]);
    scope = typeOf(owner) === 'Map' ? `${owner}/*` : `${owner}/${index}`;
    items.push(index);
  }
  return { scope, items };
}

interface OpenVisit {
  node: string;
  stateName: string;
  stateType: string;
  items: number[];
  status: StateStatus;
  start: number;
  end?: number;
  retries: number;
  input?: JsonValue;
  output?: JsonValue;
  error?: string;
  cause?: string;
  redriven?: boolean;
}

/** The state visits of a history, in the order they started, each with the status it ended in. */
export function visitsOf(events: readonly StoredEvent[], graph: GraphModel | undefined): VisitView[] {
  const types = new Map(graph?.nodes.map((n) => [n.id, n.type]) ?? []);
  const visits: OpenVisit[] = [];
  const open = new Map<string, OpenVisit>();
  const locate = (thread: string) => threadScope(thread, (id) => types.get(id));
  const finish = (at: number, failed: boolean, error?: string, cause?: string): void => {
    for (const v of open.values()) {
      v.end ??= at;
      if (failed && v.status !== 'failed') {
        v.status = 'failed';
        if (error !== undefined) v.error ??= error;
        if (cause !== undefined) v.cause ??= cause;
      }
    }
    open.clear();
  };
  for (const event of events) {
    const details = event.details;
    const entered = ENTERED.exec(event.type);
    if (entered !== null && event.stateName !== undefined) {
      const { scope, items } = locate(event.thread);
      const visit: OpenVisit = {
        node: nodeId(scope, event.stateName),
        stateName: event.stateName,
        stateType: entered[1] ?? '',
        items,
        status: 'running',
        start: event.timestamp,
        retries: 0,
        ...(details?.input === undefined ? {} : { input: details.input }),
      };
      visits.push(visit);
      open.set(event.thread, visit);
      continue;
    }
    const visit = open.get(event.thread);
    if (EXITED.test(event.type) && visit !== undefined) {
      visit.end = event.timestamp;
      if (details?.output !== undefined) visit.output = details.output;
      if (details?.error !== undefined) {
        visit.status = 'caught';
        visit.error = details.error;
        if (details.cause !== undefined) visit.cause = details.cause;
      } else {
        visit.status = visit.retries > 0 ? 'retried' : 'succeeded';
      }
      open.delete(event.thread);
      continue;
    }
    switch (event.type) {
      case 'TaskRetry':
        if (visit !== undefined) {
          visit.retries += 1;
          visit.status = 'running';
        }
        break;
      case 'TaskSubmitted':
      case 'WaitStarted':
        if (visit !== undefined) visit.status = 'waiting';
        break;
      case 'TaskScheduled':
        if (visit !== undefined) visit.status = 'running';
        break;
      case 'TaskFailed':
      case 'TaskTimedOut':
      case 'MapStateFailed':
      case 'ParallelStateFailed':
        if (visit !== undefined) {
          visit.status = 'failed';
          if (details?.error !== undefined) visit.error = details.error;
          if (details?.cause !== undefined) visit.cause = details.cause;
        }
        break;
      case 'MapIterationAborted':
      case 'ParallelBranchAborted':
        for (const [thread, v] of open) {
          if (!thread.startsWith(event.thread)) continue;
          v.status = 'failed';
          v.error ??= 'aborted: a sibling failed';
          v.end = event.timestamp;
          open.delete(thread);
        }
        break;
      case 'ExecutionRedriven': {
        open.clear();
        const again: OpenVisit = {
          node: event.stateName ?? '',
          stateName: event.stateName ?? '',
          stateType: types.get(event.stateName ?? '') ?? '',
          items: [],
          status: 'running',
          start: event.timestamp,
          retries: 0,
          redriven: true,
        };
        visits.push(again);
        open.set('', again);
        break;
      }
      case 'ExecutionSucceeded':
        finish(event.timestamp, false);
        break;
      case 'ExecutionFailed':
      case 'ExecutionTimedOut':
        finish(event.timestamp, true, details?.error, details?.cause);
        break;
      default:
        break;
    }
  }
  return visits;
}

/** The events of a history without their payloads (the visits carry those). */
export function eventsOf(events: readonly StoredEvent[]): EventView[] {
  return events.map((e) => ({
    id: e.id,
    type: e.type,
    timestamp: e.timestamp,
    thread: e.thread,
    ...(e.stateName === undefined ? {} : { stateName: e.stateName }),
    ...(e.details?.error === undefined ? {} : { error: e.details.error }),
    ...(e.details?.cause === undefined ? {} : { cause: e.details.cause }),
    ...(e.details?.attempt === undefined ? {} : { attempt: e.details.attempt }),
  }));
}

/** The task tokens a checkpointed execution has handed out and waits on. */
export function tokensOf(record: ExecutionRecord): TokenView[] {
  if (record.checkpoint === undefined || record.status === 'SUCCEEDED') return [];
  let state: unknown;
  try {
    state = JSON.parse(record.checkpoint);
  } catch {
    return [];
  }
  if (!isJsonObject(state) || !Array.isArray(state.pending)) return [];
  const tokens: TokenView[] = [];
  for (const pending of state.pending) {
    if (!isJsonObject(pending) || !isJsonObject(pending.effect)) continue;
    const { effect } = pending;
    if (effect.type !== 'invoke' || typeof effect.taskToken !== 'string') continue;
    tokens.push({
      stateName: String(effect.stateName),
      resource: String(effect.resource),
      taskToken: effect.taskToken,
      submitted: pending.submitted === true,
    });
  }
  return tokens;
}
