/**
 * The execution timeline operators read in a terminal (`router executions trace ID`): one line per
 * state visit, with its start offset from the execution's start, its duration and how it ended, indented
 * under the Map item or Parallel branch it ran in. Built from the stored history alone.
 */
import type { ExecutionRecord } from './ExecutionStore.ts';
import type { StoredHistoryEvent } from './history.ts';

/** One state visit on the timeline. */
export interface TraceRow {
  /** Thread path (`''` top level, `Fan#1.0[2]/` inside item 2 of Map `Fan`). */
  readonly thread: string;
  readonly stateName: string;
  readonly stateType: string;
  /** Epoch ms. */
  readonly start: number;
  end?: number;
  /** `succeeded`, `caught <Error>`, `failed <Error>`, `waiting`, `running`, `aborted`. */
  outcome: string;
  retries: number;
  callback: boolean;
  /** The visit a redrive started. */
  redriven?: boolean;
}

const ENTERED = /^(\w+)StateEntered$/;
const EXITED = /^(\w+)StateExited$/;

function depthOf(thread: string): number {
  return thread === '' ? 0 : thread.split('/').length - 1;
}

function itemLabel(thread: string): string {
  const match = /\[(\d+)\]\/$/.exec(thread);
  return match === null ? '' : `[${match[1]}] `;
}

/** The state visits of a history, in the order they started. */
export function traceRows(events: readonly StoredHistoryEvent[]): TraceRow[] {
  const rows: TraceRow[] = [];
  const open = new Map<string, TraceRow>();
  let finalStatus: string | undefined;
  let finalError: string | undefined;
  for (const event of events) {
    const entered = ENTERED.exec(event.type);
    if (entered !== null && event.stateName !== undefined) {
      const row: TraceRow = {
        thread: event.thread,
        stateName: event.stateName,
        stateType: entered[1] ?? '',
        start: event.timestamp,
        outcome: 'running',
        retries: 0,
        callback: false,
      };
      rows.push(row);
      open.set(event.thread, row);
      continue;
    }
    const row = open.get(event.thread);
    if (EXITED.test(event.type) && row !== undefined) {
      row.end = event.timestamp;
      row.outcome = event.details?.error === undefined ? 'succeeded' : `caught ${event.details.error}`;
      open.delete(event.thread);
      continue;
    }
    switch (event.type) {
      case 'TaskRetry':
        if (row !== undefined) row.retries += 1;
        break;
      case 'TaskSubmitted':
        if (row !== undefined) row.callback = true;
        break;
      case 'TaskFailed':
      case 'TaskTimedOut':
        if (row !== undefined) row.outcome = `failed ${event.details?.error ?? ''}`.trim();
        break;
      case 'WaitStarted':
        if (row !== undefined) row.outcome = 'waiting';
        break;
      case 'MapIterationAborted':
      case 'ParallelBranchAborted':
        for (const [thread, r] of open) {
          if (thread.startsWith(event.thread)) {
            r.outcome = 'aborted';
            r.end = event.timestamp;
            open.delete(thread);
          }
        }
        break;
      case 'ExecutionRedriven': {
        open.clear();
        const previous = rows.findLast((r) => r.thread === '' && r.stateName === event.stateName);
        const again: TraceRow = {
          thread: '',
          stateName: event.stateName ?? '',
          stateType: previous?.stateType ?? '',
          start: event.timestamp,
          outcome: 'running',
          retries: 0,
          callback: false,
          redriven: true,
        };
        rows.push(again);
        open.set('', again);
        break;
      }
      case 'ExecutionSucceeded':
        finalStatus = 'succeeded';
        break;
      case 'ExecutionFailed':
      case 'ExecutionTimedOut':
        finalStatus = 'failed';
        finalError = event.details?.error;
        break;
      default:
        break;
    }
    if (finalStatus !== undefined) {
      for (const r of open.values()) {
        r.end ??= event.timestamp;
        if (finalStatus === 'failed' && !r.outcome.startsWith('failed'))
          r.outcome = `failed ${finalError ?? ''}`.trim();
      }
      open.clear();
      finalStatus = undefined;
    }
  }
  return rows;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(3)}s`;
}

/**
 * The timeline as text lines.
 *
 * @example
 * for (const line of traceLines(decodeHistory(record.history))) console.log(line);
 * // +0.000s        0.012s  Validate (Task)  succeeded
 * // +0.012s        5.004s  Pause (Wait)  succeeded
 * // +5.016s        0.040s  Fan (Map)  succeeded
 * // +5.017s        0.011s    [0] Item (Task)  succeeded [1 retry]
 */
export function traceLines(events: readonly StoredHistoryEvent[], now = Date.now()): string[] {
  const started = events.find((e) => e.type === 'ExecutionStarted')?.timestamp ?? events[0]?.timestamp ?? now;
  const lines: string[] = [];
  for (const row of traceRows(events)) {
    const offset = `+${seconds(row.start - started)}`.padEnd(11);
    const duration = (
      row.end === undefined ? `(${seconds(now - row.start)})` : seconds(row.end - row.start)
    ).padStart(10);
    const notes = [
      ...(row.retries > 0 ? [`${row.retries} ${row.retries === 1 ? 'retry' : 'retries'}`] : []),
      ...(row.callback ? ['callback'] : []),
    ];
    const indent = '  '.repeat(depthOf(row.thread));
    if (row.redriven === true) notes.unshift('redriven');
    lines.push(
      `${offset}${duration}  ${indent}${itemLabel(row.thread)}${row.stateName} (${row.stateType})  ${row.outcome}${notes.length > 0 ? ` [${notes.join(', ')}]` : ''}`,
    );
  }
  const redrives = events.filter((e) => e.type === 'ExecutionRedriven').length;
  if (redrives > 0) lines.push(`redriven ${redrives} time${redrives === 1 ? '' : 's'}`);
  return lines;
}

/**
 * The lines that tie an execution to the executions it belongs with: the parent that started it (and
 * whether that parent waits for its end) and the children it started and waited for.
 */
export function linkLines(record: Pick<ExecutionRecord, 'parent' | 'children'>): string[] {
  const lines: string[] = [];
  const { parent, children } = record;
  if (parent !== undefined) {
    const task = parent.invokeId === undefined ? '' : ` task ${parent.invokeId}`;
    const waits = parent.token === undefined ? 'does not wait' : `waits (${parent.shape ?? 'raw'})`;
    lines.push(`parent: ${parent.executionId}${task}, ${waits}`);
  }
  for (const child of children ?? []) lines.push(`child: ${child}`);
  return lines;
}
