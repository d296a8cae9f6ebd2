/**
 * The stored history of an execution: the interpreter's history events of every run, kept beside the
 * execution item and written with the checkpoint or completion that ends a run, so keeping a history
 * costs no extra request. It is bounded twice: by count (the latest {@link HISTORY_LIMIT} events) and
 * by size (large inputs and outputs are cut, and the oldest events dropped until the compressed text
 * fits {@link HISTORY_MAX_BYTES}), because a DynamoDB item cannot exceed 400 KB.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { HistoryEvent, HistoryEventType } from '../asl/index.ts';

/** Events kept per execution (the latest ones). */
export const HISTORY_LIMIT = 1_000;

/** Largest compressed history stored in the item (base64 characters); leaves room for the checkpoint. */
export const HISTORY_MAX_BYTES = 96 * 1024;

/**
 * Fastest deflate level: a history is written with every completion, on the hot path, and its events
 * repeat the same input, so level 1 already shrinks it about 17 times (level 6: 21 times) in half the
 * CPU time. Reading is the same for every level.
 */
const GZIP_LEVEL = 1;

/**
 * The smallest deflate window that holds the whole text (zlib's 512 bytes to 32 KiB): no match can
 * reach further back than the text's start, so the output is the same as with the full window, while
 * the state zlib sets up for each call, most of a small history's compression time, is smaller.
 */
function windowBitsFor(length: number): number {
  return Math.min(15, Math.max(9, Math.ceil(Math.log2(length + 262))));
}

/** Longest JSON text of one event's details before its input and output are cut. */
const DETAIL_MAX_CHARS = 2_048;

/** Events the router adds to the interpreter's own. */
export type DurableEventType = HistoryEventType | 'ExecutionRedriven';

/** One stored event: an interpreter event, or one the router adds (a redrive). */
export interface StoredHistoryEvent extends Omit<HistoryEvent, 'type'> {
  readonly type: DurableEventType;
}

/** Cuts the input and output of an event whose details are too large to keep whole. */
function compact(event: StoredHistoryEvent): StoredHistoryEvent {
  const details = event.details;
  if (details === undefined) return event;
  const text = JSON.stringify(details);
  if (text.length <= DETAIL_MAX_CHARS) return event;
  const { input, output, ...rest } = details;
  const cut = (value: unknown): string => {
    const json = JSON.stringify(value) ?? '';
    return `${json.slice(0, 256)}... (${json.length} characters, cut)`;
  };
  return {
    ...event,
    details: {
      ...rest,
      ...(input === undefined ? {} : { input: cut(input) }),
      ...(output === undefined ? {} : { output: cut(output) }),
    },
  };
}

/** Reads a stored history; an absent one is empty. Throws naming the problem if it is not one. */
export function decodeHistory(stored: string | undefined): StoredHistoryEvent[] {
  if (stored === undefined || stored === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(gunzipSync(Buffer.from(stored, 'base64')).toString('utf8'));
  } catch (error) {
    throw new Error(
      `execution history: not a gzip'd JSON array: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (!Array.isArray(parsed)) throw new Error('execution history: not an array of events');
  return parsed as StoredHistoryEvent[];
}

/**
 * One event's JSON text, compacted when its details are too large. The whole event is serialised once:
 * its details are part of it, so an event whose text fits the limit has details that fit too, and only
 * larger events pay for measuring their details (serialising is most of the cost of keeping a history).
 */
function eventText(event: StoredHistoryEvent): string {
  const text = JSON.stringify(event);
  if (event.details === undefined || text.length <= DETAIL_MAX_CHARS) return text;
  const compacted = compact(event);
  return compacted === event ? text : JSON.stringify(compacted);
}

/** What a stored history keeps of each event. */
export interface HistoryOptions {
  /**
   * Keep the states' input and output (cut to {@link DETAIL_MAX_CHARS}); otherwise an event keeps its
   * type, state, times, error and cause. Like Step Functions' `includeExecutionData`: payloads are most
   * of a history's size and of the cost of writing it on every completion. Default true.
   */
  readonly includeData?: boolean;
}

/** An event without its input and output. */
function withoutData(event: StoredHistoryEvent): StoredHistoryEvent {
  const details = event.details;
  if (details === undefined || (details.input === undefined && details.output === undefined)) return event;
  const { input: _input, output: _output, ...rest } = details;
  return { ...event, details: rest };
}

/** Compresses events, keeping the latest that fit both bounds. */
export function encodeHistory(events: readonly StoredHistoryEvent[], options: HistoryOptions = {}): string {
  const latest = events.slice(-HISTORY_LIMIT);
  // The same text as JSON.stringify of the compacted array, built from each event's text once.
  let kept = (options.includeData === false ? latest.map(withoutData) : latest).map(eventText);
  for (;;) {
    const json = `[${kept.join(',')}]`;
    const text = gzipSync(json, { level: GZIP_LEVEL, windowBits: windowBitsFor(json.length) }).toString(
      'base64',
    );
    if (text.length <= HISTORY_MAX_BYTES || kept.length <= 1) return text;
    kept = kept.slice(Math.ceil(kept.length / 4));
  }
}

/**
 * The stored history after a run: what was stored plus the run's new events. Events are numbered by the
 * interpreter across resumes, so an event already stored (a run repeated after a crash) is kept once.
 *
 * @example
 * await store.complete(record, { ...completion, history: appendHistory(record.history, result.history) });
 */
export function appendHistory(
  stored: string | undefined,
  events: readonly StoredHistoryEvent[],
  options: HistoryOptions = {},
): string | undefined {
  if (events.length === 0) return stored;
  const previous = decodeHistory(stored);
  const last = previous.at(-1)?.id ?? 0;
  return encodeHistory([...previous, ...events.filter((e) => e.id > last)], options);
}
