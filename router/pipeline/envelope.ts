/**
 * The message envelope: what a decoded record means to the router. A record is either a CloudEvents 1.0
 * event in JSON form (deduplicated by `source` + `id`), a task callback for a `.waitForTaskToken` state
 * (also a CloudEvent, with a reserved type), or any other JSON object, which is still routable but whose
 * dedup key comes from the route's `idPath` or, failing that, from its stream position.
 */
import type { JsonObject, JsonValue } from '../asl/index.ts';
import { RouterError, type RouterErrorOptions } from '../errors.ts';

/** A CloudEvents 1.0 event in JSON format, plus the router's `engine` extension attribute. */
export interface CloudEvent {
  readonly specversion: '1.0';
  readonly id: string;
  readonly source: string;
  readonly type: string;
  readonly subject?: string;
  readonly time?: string;
  readonly datacontenttype?: string;
  readonly dataschema?: string;
  readonly data?: JsonValue;
  readonly data_base64?: string;
  /** Routes straight to this engine, bypassing the patterns. */
  readonly engine?: string;
  readonly [extension: string]: JsonValue | undefined;
}

/** CloudEvent types that complete, fail or keep alive a `.waitForTaskToken` task instead of starting work. */
export const CALLBACK_TYPES = {
  'router.task.success': 'success',
  'router.task.failure': 'failure',
  'router.task.heartbeat': 'heartbeat',
} as const;

/** What a callback record asks for. */
export type TaskCallback =
  | { readonly action: 'success'; readonly taskToken: string; readonly output: JsonValue }
  | {
      readonly action: 'failure';
      readonly taskToken: string;
      readonly error?: string;
      readonly cause?: string;
    }
  | { readonly action: 'heartbeat'; readonly taskToken: string };

/** A decoded message. */
export type Envelope =
  | { readonly kind: 'cloudevent'; readonly event: CloudEvent; readonly dedupKey: string }
  | {
      readonly kind: 'callback';
      readonly event: CloudEvent;
      readonly dedupKey: string;
      readonly callback: TaskCallback;
    }
  | {
      readonly kind: 'raw';
      readonly body: JsonObject;
      /**
       * The stream-position key (`shard#sequence[#sub]`), which only protects against redelivery; a
       * route with an `idPath` replaces it at route time.
       */
      readonly dedupKey: string;
    };

/** Thrown by {@link toEnvelope}; the decoder wraps it into a `DecodeError` naming the record. */
export class EnvelopeError extends RouterError {
  override readonly name = 'EnvelopeError';

  constructor(message: string, options: RouterErrorOptions = {}) {
    super(message, false, options);
  }
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const STRING_ATTRIBUTES = ['subject', 'datacontenttype', 'dataschema', 'engine'] as const;

/** Lower-case ASCII letters and digits only (a character loop: every key of every event passes here). */
function isAttributeName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39))) return false;
  }
  return true;
}

/** True when the string is an RFC 3339 timestamp (the CloudEvents `time` format). */
export function isRfc3339(value: string): boolean {
  return RFC3339.test(value) && !Number.isNaN(Date.parse(value));
}

function requireString(event: JsonObject, name: string): string {
  const value = event[name];
  if (typeof value !== 'string' || value === '') {
    throw new EnvelopeError(`CloudEvent attribute '${name}' must be a non-empty string`);
  }
  return value;
}

function checkCloudEvent(event: JsonObject): CloudEvent {
  if (event.specversion !== '1.0') {
    throw new EnvelopeError(
      `CloudEvent attribute 'specversion' must be '1.0', got ${JSON.stringify(event.specversion)}`,
    );
  }
  requireString(event, 'id');
  requireString(event, 'source');
  requireString(event, 'type');
  for (const name of STRING_ATTRIBUTES) {
    if (name in event) requireString(event, name);
  }
  if ('time' in event) {
    const time = event.time;
    if (typeof time !== 'string' || !isRfc3339(time)) {
      throw new EnvelopeError(
        `CloudEvent attribute 'time' must be an RFC 3339 timestamp, got ${JSON.stringify(time)}`,
      );
    }
  }
  if ('data_base64' in event) {
    if ('data' in event) throw new EnvelopeError("CloudEvent has both 'data' and 'data_base64'");
    const data = event.data_base64;
    if (typeof data !== 'string' || !BASE64.test(data)) {
      throw new EnvelopeError("CloudEvent attribute 'data_base64' must be a base64 string");
    }
  }
  for (const name in event) {
    if (name !== 'data_base64' && !isAttributeName(name)) {
      throw new EnvelopeError(
        `CloudEvent attribute name '${name}' is invalid: attribute names are lower-case letters and digits`,
      );
    }
  }
  return event as CloudEvent;
}

function optionalString(data: JsonObject, name: string, type: string): string | undefined {
  const value = data[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new EnvelopeError(`${type} data field '${name}' must be a string`);
  return value;
}

function toCallback(event: CloudEvent, action: 'success' | 'failure' | 'heartbeat'): TaskCallback {
  const data = event.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new EnvelopeError(`${event.type} data must be an object with a 'taskToken'`);
  }
  const taskToken = data.taskToken;
  if (typeof taskToken !== 'string' || taskToken === '') {
    throw new EnvelopeError(`${event.type} data field 'taskToken' must be a non-empty string`);
  }
  if (action === 'success') return { action, taskToken, output: data.output ?? null };
  if (action === 'heartbeat') return { action, taskToken };
  const error = optionalString(data, 'error', event.type);
  const cause = optionalString(data, 'cause', event.type);
  return {
    action,
    taskToken,
    ...(error === undefined ? {} : { error }),
    ...(cause === undefined ? {} : { cause }),
  };
}

/**
 * Turns a parsed JSON object into an envelope. An object carrying `specversion` is held to the
 * CloudEvents rules (a malformed event is an error, not a raw object); anything else is raw.
 *
 * @param positionKey the record's `shard#sequence[#sub]`, the dedup key of last resort.
 * @throws EnvelopeError naming the attribute that is wrong.
 */
export function toEnvelope(body: JsonObject, positionKey: string): Envelope {
  if (!('specversion' in body)) return { kind: 'raw', body, dedupKey: positionKey };
  const event = checkCloudEvent(body);
  const dedupKey = cloudEventKey(event.source, event.id);
  const action = Object.hasOwn(CALLBACK_TYPES, event.type)
    ? CALLBACK_TYPES[event.type as keyof typeof CALLBACK_TYPES]
    : undefined;
  if (action !== undefined) return { kind: 'callback', event, dedupKey, callback: toCallback(event, action) };
  return { kind: 'cloudevent', event, dedupKey };
}

/** The JSON object patterns are matched against: the event itself, or the raw body. */
export function envelopeDocument(envelope: Envelope): JsonObject {
  return envelope.kind === 'raw' ? envelope.body : (envelope.event as JsonObject);
}

/**
 * The dedup key of a CloudEvent: its `source` and `id`, joined by `#` with every `#` and `\` inside them
 * escaped, so two different events never share a key (CloudEvents allows `#` in both; `a#b` + `c` and
 * `a` + `b#c` would otherwise meet). A source and id without `#` or `\` keep the key they always had,
 * so executions recorded before keep answering their duplicates.
 */
export function cloudEventKey(source: string, id: string): string {
  return `${escapeKeyPart(source)}#${escapeKeyPart(id)}`;
}

function escapeKeyPart(part: string): string {
  if (!part.includes('#') && !part.includes('\\')) return part;
  return part.replaceAll('\\', '\\\\').replaceAll('#', '\\#');
}
