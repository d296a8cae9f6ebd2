/**
 * The stored history of an execution: the interpreter's history events of every run, kept beside the
 * execution item and written with the checkpoint or completion that ends a run, so keeping a history
 * costs no extra request. It is bounded twice: by count (the latest {@link HISTORY_LIMIT} events) and
 * by size (large inputs and outputs are cut, and the oldest events dropped until the compressed text
 * fits {@link HISTORY_MAX_BYTES}), because a DynamoDB item cannot exceed 400 KB.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { HistoryDetails, HistoryEvent, HistoryEventType } from '../asl/index.ts';

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

/**
 * Details whose JSON is too long to keep whole, with their input and output cut. `textOf` gives a value's
 * JSON (an encoding passes the texts it already wrote).
 */
function cutDetails(
  details: HistoryDetails,
  textOf: (value: unknown) => string | undefined = JSON.stringify,
): HistoryDetails {
  const { input, output, ...rest } = details;
  const cut = (value: unknown): string => {
    const json = textOf(value) ?? '';
    return `${json.slice(0, 256)}... (${json.length} characters, cut)`;
  };
  return {
    ...rest,
    ...(input === undefined ? {} : { input: cut(input) }),
    ...(output === undefined ? {} : { output: cut(output) }),
  };
}

/** Cuts the input and output of an event whose details are too large to keep whole. */
function compact(event: StoredHistoryEvent): StoredHistoryEvent {
  const details = event.details;
  if (details === undefined) return event;
  const text = JSON.stringify(details);
  if (text.length <= DETAIL_MAX_CHARS) return event;
  return { ...event, details: cutDetails(details) };
}

/** Reads a stored history; an absent one is empty. Throws naming the problem if it is not one. */
export function decodeHistory(stored: string | undefined): StoredHistoryEvent[] {
  if (stored === undefined || stored === '') return [];
  let parsed: unknown;
  try {
    const text = stored.startsWith('[') ? stored : gunzipSync(Buffer.from(stored, 'base64')).toString('utf8');
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(
      `execution history: neither a JSON array nor a gzip'd one: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (!Array.isArray(parsed)) throw new Error('execution history: not an array of events');
  return typeof parsed[0] === 'number' ? decodeCompact(parsed) : (parsed as StoredHistoryEvent[]);
}

/** The events of a compact history (see {@link COMPACT_FORMAT}); throws naming the event that is not one. */
function decodeCompact(stored: readonly unknown[]): StoredHistoryEvent[] {
  const [format, firstId, firstTime] = stored;
  if (format !== COMPACT_FORMAT) throw new Error(`execution history: format ${String(format)} is not known`);
  if (typeof firstId !== 'number' || typeof firstTime !== 'number') {
    throw new Error('execution history: the first id and time are not numbers');
  }
  const events: StoredHistoryEvent[] = [];
  let id = firstId - 1;
  let time = firstTime;
  let state: string | undefined;
  let thread = '';
  for (let i = 3; i < stored.length; i++) {
    const slots = stored[i];
    const bad = (reason: string): Error => new Error(`execution history: event ${i - 2} ${reason}`);
    if (!Array.isArray(slots)) throw bad('is not an array');
    const [code, dt = 0, stateSlot = 0, details = 0, threadSlot = 0, idSlot = 0] = slots as unknown[];
    const type = typeof code === 'number' ? EVENT_TYPES[code] : code;
    if (typeof type !== 'string') throw bad(`has no known type (${JSON.stringify(code)})`);
    if (typeof dt !== 'number' || typeof idSlot !== 'number')
      throw bad('has a time or id that is not a number');
    if (stateSlot !== 0) {
      if (stateSlot !== null && typeof stateSlot !== 'string') throw bad('has a state that is not a name');
      state = stateSlot ?? undefined;
    }
    if (threadSlot !== 0) {
      if (typeof threadSlot !== 'string') throw bad('has a thread that is not text');
      thread = threadSlot;
    }
    if (details !== 0 && details !== null && (typeof details !== 'object' || Array.isArray(details))) {
      throw bad('has details that are not an object');
    }
    id = idSlot === 0 ? id + 1 : idSlot;
    time += dt;
    const event: StoredHistoryEvent = { id, type: type as DurableEventType, timestamp: time, thread };
    if (state !== undefined) event.stateName = state;
    if (details !== null) event.details = details === 0 ? {} : (details as HistoryDetails);
    events.push(event);
  }
  return events;
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

/** Details without their input and output (the same object when they have neither). */
function withoutDataDetails(details: HistoryDetails): HistoryDetails {
  if (details.input === undefined && details.output === undefined) return details;
  const { input: _input, output: _output, ...rest } = details;
  return rest;
}

/** An event without its input and output. */
function withoutData(event: StoredHistoryEvent): StoredHistoryEvent {
  if (event.details === undefined) return event;
  const details = withoutDataDetails(event.details);
  return details === event.details ? event : { ...event, details };
}

/**
 * Stored form of a history, version 1: a JSON array `[1, firstId, firstTimestamp, event...]` in which
 * each event is `[type, dt, state, details, thread, id]` with trailing defaults left out. `type` is an
 * index into {@link EVENT_TYPES} (or the name, for a type not in it); `dt` is milliseconds after the
 * previous event; `state` is `0` for the previous event's state, `null` for none, or the name;
 * `details` is `0` for `{}`, `null` for none, or the object; `thread` is `0` for the previous event's;
 * `id` is `0` for the previous id + 1. An execution's events repeat their neighbours' state, thread
 * and time, so a history without data keeps about 30 characters per event, smaller than the gzip'd
 * event objects were, and writing it costs no compression call on the hot path.
 */
const COMPACT_FORMAT = 1;

/**
 * Event types by their stored index. Append only: a stored history refers to these positions, so an
 * entry is never removed or moved (a type missing here is stored by name).
 */
const EVENT_TYPES: readonly DurableEventType[] = [
  'ExecutionStarted',
  'ExecutionSucceeded',
  'ExecutionFailed',
  'ExecutionTimedOut',
  'ExecutionRedriven',
  'TaskStateEntered',
  'TaskStateExited',
  'PassStateEntered',
  'PassStateExited',
  'ChoiceStateEntered',
  'ChoiceStateExited',
  'WaitStateEntered',
  'WaitStateExited',
  'SucceedStateEntered',
  'SucceedStateExited',
  'FailStateEntered',
  'FailStateExited',
  'ParallelStateEntered',
  'ParallelStateExited',
  'MapStateEntered',
  'MapStateExited',
  'TaskScheduled',
  'TaskSubmitted',
  'TaskSucceeded',
  'TaskFailed',
  'TaskTimedOut',
  'TaskRetry',
  'WaitStarted',
  'ParallelStateStarted',
  'ParallelStateSucceeded',
  'ParallelStateFailed',
  'ParallelBranchSucceeded',
  'ParallelBranchFailed',
  'ParallelBranchAborted',
  'MapStateStarted',
  'MapStateSucceeded',
  'MapStateFailed',
  'MapIterationStarted',
  'MapIterationSucceeded',
  'MapIterationFailed',
  'MapIterationAborted',
  'MapRunStarted',
  'MapRunSucceeded',
  'MapRunFailed',
];

const TYPE_CODES: ReadonlyMap<string, string> = new Map(
  EVENT_TYPES.map((type, index) => [type, String(index)]),
);

/**
 * Compact text at most this long is stored as is; a longer one (a long run, or histories with data) is
 * gzip'd and stored in base64. Below it compression saves less than one DynamoDB write unit (1 KB) and
 * costs a zlib call (about 16 us of fixed set-up) on every completion.
 */
const COMPRESS_ABOVE_CHARS = 1_024;

/** Whether `details` has no enumerable key; asked without allocating, for every event. */
function isEmpty(details: HistoryDetails): boolean {
  for (const _ in details) return false;
  return true;
}

/**
 * The JSON texts of the objects one encoding has written, by identity. One value is in several events
 * of a history: a state's input is in its entered and scheduled events, and the output it leaves in its
 * exited event and the next state's entered one. Writing it once per history rather than once per event
 * took a three-Task run's encoding from eleven serialisations of its 1 KB state to four.
 */
type ValueTexts = Map<object, string>;
/** Never written: the texts of an encoding without data, which writes no values. */
const NO_VALUE_TEXTS: ValueTexts = new Map();

/** `value`'s JSON text, written once per encoding for an object (see {@link ValueTexts}). */
function valueText(value: unknown, texts: ValueTexts): string | undefined {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  let text = texts.get(value);
  if (text === undefined) {
    text = JSON.stringify(value);
    texts.set(value, text);
  }
  return text;
}

/** `JSON.stringify(details)`, its values' texts taken from `texts`: keys in the same order, absent ones left out. */
function detailsJson(details: HistoryDetails, texts: ValueTexts): string {
  let text = '';
  for (const key in details) {
    const value = valueText(details[key as keyof HistoryDetails], texts);
    if (value === undefined) continue;
    text = `${text}${text === '' ? '{' : ','}${JSON.stringify(key)}:${value}`;
  }
  return text === '' ? '{}' : `${text}}`;
}

/**
 * `JSON.stringify(details)` without their input and output, `0` when nothing else is left: written member
 * by member, where a copy without those two (an object rest) costs more than serialising what is left.
 */
function detailsWithoutDataJson(details: HistoryDetails): string {
  let text = '';
  for (const key in details) {
    if (key === 'input' || key === 'output') continue;
    const value = JSON.stringify(details[key as keyof HistoryDetails]);
    if (value !== undefined) text += `${text === '' ? '{' : ','}${JSON.stringify(key)}:${value}`;
  }
  return text === '' ? '0' : `${text}}`;
}

/** An event's details as stored: `0` for `{}`, `null` for none, else its JSON (without data, cut). */
function detailsText(details: HistoryDetails | undefined, includeData: boolean, texts: ValueTexts): string {
  if (details === undefined) return 'null';
  // Without data there is no input or output left to cut.
  if (!includeData) return detailsWithoutDataJson(details);
  if (isEmpty(details)) return '0';
  const text = detailsJson(details, texts);
  if (text.length <= DETAIL_MAX_CHARS) return text;
  // A large state is in several events: its text, already written, is cut rather than written again.
  return JSON.stringify(cutDetails(details, (value) => valueText(value, texts)));
}

/**
 * Whether every event fits the compact form: integer ids and times, and a thread (an event read back
 * from a history stored before threads were recorded may lack one).
 */
function compactable(events: readonly StoredHistoryEvent[]): boolean {
  for (const event of events) {
    if (
      !(Number.isSafeInteger(event.id) && event.id > 0 && Number.isSafeInteger(event.timestamp)) ||
      typeof event.thread !== 'string'
    )
      return false;
  }
  return true;
}

/** The compact text of `events[from..]`, whose details are already written in `details`. */
function compactText(
  events: readonly StoredHistoryEvent[],
  details: readonly string[],
  from: number,
): string {
  const first = events[from];
  if (first === undefined) return '[]';
  // Joined at the end: a text built with `+=` is a rope of small strings, which a store that keeps the
  // record in memory would hold at about six times the text's size.
  const parts = [`[${COMPACT_FORMAT},${first.id},${first.timestamp}`];
  let id = first.id - 1;
  let time = first.timestamp;
  let state: string | undefined;
  let thread = '';
  for (let i = from; i < events.length; i++) {
    const event = events[i] as StoredHistoryEvent;
    const name = event.stateName;
    const stateSlot = name === state ? '0' : name === undefined ? 'null' : JSON.stringify(name);
    const detail = details[i] ?? 'null';
    const dt = event.timestamp - time;
    // The slots up to the last one that is not its default: trailing defaults are left out.
    const last =
      event.id !== id + 1
        ? 5
        : event.thread !== thread
          ? 4
          : detail !== '0'
            ? 3
            : stateSlot !== '0'
              ? 2
              : dt !== 0
                ? 1
                : 0;
    let text = `[${TYPE_CODES.get(event.type) ?? JSON.stringify(event.type)}`;
    if (last >= 1) text += `,${dt}`;
    if (last >= 2) text += `,${stateSlot}`;
    if (last >= 3) text += `,${detail}`;
    if (last >= 4) text += `,${event.thread === thread ? '0' : JSON.stringify(event.thread)}`;
    if (last >= 5) text += `,${event.id}`;
    parts.push(`${text}]`);
    id = event.id;
    time = event.timestamp;
    state = name;
    thread = event.thread;
  }
  parts[parts.length - 1] += ']';
  return parts.join(',');
}

/** What is stored for `text`: itself when short, else its gzip in base64. */
function storedText(text: string): string {
  if (text.length <= COMPRESS_ABOVE_CHARS) return text;
  return gzipSync(text, { level: GZIP_LEVEL, windowBits: windowBitsFor(text.length) }).toString('base64');
}

/** The event objects' own JSON, gzip'd: for events whose ids or times are not integers. */
function verboseText(events: readonly StoredHistoryEvent[], includeData: boolean): string {
  let kept = (includeData ? events : events.map(withoutData)).map(eventText);
  for (;;) {
    const json = `[${kept.join(',')}]`;
    const text = gzipSync(json, { level: GZIP_LEVEL, windowBits: windowBitsFor(json.length) }).toString(
      'base64',
    );
    if (text.length <= HISTORY_MAX_BYTES || kept.length <= 1) return text;
    kept = kept.slice(Math.ceil(kept.length / 4));
  }
}

/** Encodes events for storage, keeping the latest that fit both bounds. */
export function encodeHistory(events: readonly StoredHistoryEvent[], options: HistoryOptions = {}): string {
  const latest = events.length > HISTORY_LIMIT ? events.slice(-HISTORY_LIMIT) : events;
  const includeData = options.includeData !== false;
  if (!compactable(latest)) return verboseText(latest, includeData);
  // Only a history with data writes values whose texts are worth keeping.
  const texts: ValueTexts = includeData ? new Map() : NO_VALUE_TEXTS;
  const details = latest.map((event) => detailsText(event.details, includeData, texts));
  let from = 0;
  for (;;) {
    const text = storedText(compactText(latest, details, from));
    if (text.length <= HISTORY_MAX_BYTES || latest.length - from <= 1) return text;
    from += Math.ceil((latest.length - from) / 4);
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
