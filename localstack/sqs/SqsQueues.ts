/**
 * The queues of the local SQS, independent of the wire: what SendMessage, ReceiveMessage and the rest do
 * to them. SNS and EventBridge deliver here directly (`sendToArn`), and the protocol layer in
 * `SqsEmulator.ts` translates requests into these calls.
 *
 * A message's life, as SQS defines it:
 *
 * ```
 *  send --(DelaySeconds)--> visible --receive--> in flight --(VisibilityTimeout)--> visible again
 *                                                    |  \--ChangeMessageVisibility: new deadline (0 = now)
 *                                                    \--DeleteMessage: gone
 *  receive count > RedrivePolicy.maxReceiveCount: moved to the dead-letter queue instead of delivered
 * ```
 *
 * FIFO queues deliver each message group in order and hold a group back while one of its messages is in
 * flight; a deduplication id seen in the last five minutes is accepted and dropped. A long poll
 * (`WaitTimeSeconds`) waits on the events that can make a message visible (a send, a visibility change,
 * the moment a delay or visibility timeout ends), not on a polling interval.
 */
import { createHash, randomUUID } from 'node:crypto';
import { localArn, parseArn } from '../arn.ts';
import { invalidParameter, missingParameter, queueDoesNotExist, SqsError } from './errors.ts';
import { type MessageAttributeValue, md5Hex, md5OfMessageAttributes } from './md5.ts';

/** A message as kept (and snapshotted). */
interface StoredMessage {
  readonly id: string;
  readonly body: string;
  readonly attributes: Record<string, MessageAttributeValue>;
  readonly sentAt: number;
  readonly groupId?: string;
  readonly dedupId?: string;
  readonly sequenceNumber?: string;
  readonly traceHeader?: string;
  /** When the message is next visible (after a delay, or when its visibility timeout ends). */
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  /** The receipt handle of the latest receive. */
  receiptHandle?: string;
}

/** A queue as kept (and snapshotted). */
interface QueueState {
  readonly name: string;
  readonly fifo: boolean;
  attributes: Record<string, string>;
  readonly createdAt: number;
  modifiedAt: number;
  tags: Record<string, string>;
  messages: StoredMessage[];
  /** FIFO deduplication ids seen in the last five minutes, with the message they produced. */
  dedup: Record<
    string,
    { readonly messageId: string; readonly sequenceNumber?: string; readonly at: number }
  >;
}

/** The whole state, as the snapshot file holds it. */
export interface SqsSnapshot {
  readonly sequence: string;
  readonly queues: readonly QueueState[];
}

/** What a sender gives for one message. */
export interface SendInput {
  readonly body: string;
  readonly delaySeconds?: number;
  readonly attributes?: Readonly<Record<string, MessageAttributeValue>>;
  readonly groupId?: string;
  readonly dedupId?: string;
  readonly traceHeader?: string;
}

/** What SendMessage answers. */
export interface SendResult {
  readonly MessageId: string;
  readonly MD5OfMessageBody: string;
  readonly MD5OfMessageAttributes?: string;
  readonly SequenceNumber?: string;
}

/** What ReceiveMessage is asked. */
export interface ReceiveInput {
  readonly maxMessages?: number;
  readonly visibilityTimeout?: number;
  readonly waitSeconds?: number;
  /** System attributes to return (`All`, `SentTimestamp`, ...). */
  readonly attributeNames?: readonly string[];
  /** Message attributes to return (`All`, `.*`, a name, or a prefix `name.*`). */
  readonly messageAttributeNames?: readonly string[];
}

/** A received message, as the JSON protocol returns it. */
export interface ReceivedMessage {
  readonly MessageId: string;
  readonly ReceiptHandle: string;
  readonly MD5OfBody: string;
  readonly Body: string;
  readonly Attributes?: Record<string, string>;
  readonly MD5OfMessageAttributes?: string;
  readonly MessageAttributes?: Record<string, MessageAttributeValue>;
}

const NAME = /^[a-zA-Z0-9_-]{1,80}$/;
const DEDUP_WINDOW_MS = 5 * 60 * 1000;
/** Characters SQS accepts in a body (XML 1.0's): tab, newline, carriage return, and the printable ranges. */
const INVALID_BODY = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

const DEFAULTS: Readonly<Record<string, string>> = {
  DelaySeconds: '0',
  MaximumMessageSize: '262144',
  MessageRetentionPeriod: '345600',
  ReceiveMessageWaitTimeSeconds: '0',
  VisibilityTimeout: '30',
};
const FIFO_DEFAULTS: Readonly<Record<string, string>> = {
  FifoQueue: 'true',
  ContentBasedDeduplication: 'false',
  DeduplicationScope: 'queue',
  FifoThroughputLimit: 'perQueue',
};
/** Integer attributes and their ranges. */
const RANGES: Readonly<Record<string, readonly [number, number]>> = {
  DelaySeconds: [0, 900],
  MaximumMessageSize: [1024, 1_048_576],
  MessageRetentionPeriod: [60, 1_209_600],
  ReceiveMessageWaitTimeSeconds: [0, 20],
  VisibilityTimeout: [0, 43_200],
  KmsDataKeyReusePeriodSeconds: [60, 86_400],
};
const OTHER_ATTRIBUTES = new Set([
  'RedrivePolicy',
  'RedriveAllowPolicy',
  'Policy',
  'KmsMasterKeyId',
  'SqsManagedSseEnabled',
  'FifoQueue',
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'FifoThroughputLimit',
]);
const SYSTEM_ATTRIBUTES = [
  'SenderId',
  'SentTimestamp',
  'ApproximateReceiveCount',
  'ApproximateFirstReceiveTimestamp',
  'SequenceNumber',
  'MessageDeduplicationId',
  'MessageGroupId',
  'AWSTraceHeader',
] as const;

function invalidAttribute(name: string, reason: string): SqsError {
  return new SqsError(
    'InvalidAttributeValue',
    'InvalidAttributeValue',
    `Invalid value for ${name}: ${reason}`,
  );
}

/** Reads `AttributeName: value` pairs for CreateQueue / SetQueueAttributes, refusing unknown names. */
function checkAttributes(given: Readonly<Record<string, string>>, fifo: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(given)) {
    const range = RANGES[name];
    if (range !== undefined) {
      const number = Number(value);
      if (!/^\d+$/.test(value) || number < range[0] || number > range[1])
        throw invalidAttribute(name, `'${value}' is not an integer from ${range[0]} to ${range[1]}`);
    } else if (!OTHER_ATTRIBUTES.has(name)) {
      throw new SqsError('InvalidAttributeName', 'InvalidAttributeName', `Unknown Attribute ${name}.`);
    }
    if ((name === 'ContentBasedDeduplication' || name === 'DeduplicationScope') && !fifo)
      throw invalidAttribute(name, 'only FIFO queues (names ending in .fifo) take it');
    if (name === 'FifoQueue' && value !== String(fifo))
      throw invalidAttribute(
        name,
        fifo ? 'a .fifo queue is a FIFO queue' : 'a FIFO queue name must end in .fifo',
      );
    if (name === 'RedrivePolicy' && value !== '') redrivePolicy(value);
    out[name] = value;
  }
  return out;
}

interface RedrivePolicy {
  readonly deadLetterTargetArn: string;
  readonly maxReceiveCount: number;
}

function redrivePolicy(text: string): RedrivePolicy {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalidAttribute('RedrivePolicy', 'it is not JSON');
  }
  const policy = parsed as Partial<Record<string, unknown>>;
  const target = policy.deadLetterTargetArn;
  const max = Number(policy.maxReceiveCount);
  if (typeof target !== 'string' || parseArn(target)?.service !== 'sqs')
    throw invalidAttribute('RedrivePolicy', 'deadLetterTargetArn must be a queue ARN');
  if (!Number.isInteger(max) || max < 1 || max > 1000)
    throw invalidAttribute('RedrivePolicy', 'maxReceiveCount must be an integer from 1 to 1000');
  return { deadLetterTargetArn: target, maxReceiveCount: max };
}

/** Which of `names` a request for attributes `wanted` selects (`All`, `.*`, exact names, `prefix.*`). */
function selectNames(names: readonly string[], wanted: readonly string[] | undefined): string[] {
  if (wanted === undefined || wanted.length === 0) return [];
  if (wanted.includes('All') || wanted.includes('.*')) return [...names];
  return names.filter((name) =>
    wanted.some((want) => (want.endsWith('.*') ? name.startsWith(want.slice(0, -1)) : name === want)),
  );
}

/** Bytes SQS counts towards the size limit: the body plus every attribute's name, type and value. */
function messageSize(input: SendInput): number {
  let size = Buffer.byteLength(input.body);
  for (const [name, value] of Object.entries(input.attributes ?? {})) {
    size += Buffer.byteLength(name) + Buffer.byteLength(value.DataType);
    size +=
      value.BinaryValue === undefined
        ? Buffer.byteLength(value.StringValue ?? '')
        : Buffer.from(value.BinaryValue, 'base64').length;
  }
  return size;
}

function checkMessageAttributes(attributes: Readonly<Record<string, MessageAttributeValue>>): void {
  const names = Object.keys(attributes);
  if (names.length > 10)
    throw invalidParameter(
      `Number of message attributes [${names.length}] exceeds the allowed maximum [10].`,
    );
  for (const [name, value] of Object.entries(attributes)) {
    if (!/^[a-zA-Z0-9_.-]{1,256}$/.test(name) || name.startsWith('AWS.') || name.startsWith('Amazon.'))
      throw invalidParameter(`Message attribute name '${name}' is invalid.`);
    const type = value.DataType;
    if (!/^(String|Number|Binary)(\..+)?$/.test(type))
      throw invalidParameter(
        `The type of message (user) attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`,
      );
    const binary = type.startsWith('Binary');
    if (binary ? value.BinaryValue === undefined : value.StringValue === undefined)
      throw invalidParameter(
        `Message (user) attribute '${name}' must contain a non-empty ${binary ? 'BinaryValue' : 'StringValue'}.`,
      );
    if (type.startsWith('Number') && !Number.isFinite(Number(value.StringValue)))
      throw invalidParameter(`Message (user) attribute '${name}' has an invalid Number value.`);
  }
}

interface Waiter {
  readonly wake: () => void;
}

/** The queue store; `now` is injectable so the timestamps it reports are testable. */
export class SqsQueues {
  private readonly queues = new Map<string, QueueState>();
  private readonly waiters = new Map<string, Set<Waiter>>();
  private sequence = 0n;
  private closed = false;

  constructor(
    private readonly region: string,
    private readonly now: () => number = Date.now,
    /** Told after every change, so the snapshot can be written. */
    private readonly changed: () => void = () => {},
  ) {}

  /** Replaces the state with a snapshot's. */
  restore(snapshot: SqsSnapshot): void {
    this.queues.clear();
    for (const queue of snapshot.queues) this.queues.set(queue.name, queue);
    this.sequence = BigInt(snapshot.sequence);
  }

  /** The state as plain JSON. */
  snapshot(): SqsSnapshot {
    return { sequence: this.sequence.toString(), queues: [...this.queues.values()] };
  }

  /** Ends every long poll at once (they answer with no messages); the stack is stopping. */
  close(): void {
    this.closed = true;
    for (const name of this.waiters.keys()) this.notify(name);
  }

  /** The ARN of queue `name`. */
  arn(name: string): string {
    return localArn('sqs', this.region, name);
  }

  create(
    name: string,
    attributes: Readonly<Record<string, string>>,
    tags: Readonly<Record<string, string>>,
  ): void {
    const fifo = name.endsWith('.fifo');
    const base = fifo ? name.slice(0, -'.fifo'.length) : name;
    if (!NAME.test(base) || name.length > 80)
      throw invalidParameter(
        `Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length (queue name '${name}').`,
      );
    if (attributes.FifoQueue === 'true' && !fifo)
      throw invalidAttribute('FifoQueue', 'a FIFO queue name must end in .fifo');
    const checked = checkAttributes(attributes, fifo);
    const existing = this.queues.get(name);
    if (existing !== undefined) {
      const differs = Object.entries(checked).some(([key, value]) => existing.attributes[key] !== value);
      if (differs)
        throw new SqsError(
          'QueueNameExists',
          'QueueAlreadyExists',
          `A queue already exists with the same name (${name}) and a different value for an attribute.`,
        );
      return;
    }
    const at = Math.floor(this.now() / 1000);
    this.queues.set(name, {
      name,
      fifo,
      attributes: { ...DEFAULTS, ...(fifo ? FIFO_DEFAULTS : {}), ...checked },
      createdAt: at,
      modifiedAt: at,
      tags: { ...tags },
      messages: [],
      dedup: {},
    });
    this.changed();
  }

  /** The queue called `name`, or QueueDoesNotExist. */
  private queue(name: string): QueueState {
    const queue = this.queues.get(name);
    if (queue === undefined) throw queueDoesNotExist(name);
    this.expire(queue);
    return queue;
  }

  has(name: string): boolean {
    return this.queues.has(name);
  }

  /** Queue names, sorted, optionally by prefix. */
  names(prefix = ''): string[] {
    return [...this.queues.keys()].filter((name) => name.startsWith(prefix)).sort();
  }

  delete(name: string): void {
    this.queue(name);
    this.queues.delete(name);
    this.notify(name);
    this.changed();
  }

  purge(name: string): void {
    this.queue(name).messages = [];
    this.changed();
  }

  setAttributes(name: string, attributes: Readonly<Record<string, string>>): void {
    const queue = this.queue(name);
    queue.attributes = { ...queue.attributes, ...checkAttributes(attributes, queue.fifo) };
    queue.modifiedAt = Math.floor(this.now() / 1000);
    this.changed();
    this.notify(name);
  }

  /** GetQueueAttributes: the stored ones plus the counts and timestamps SQS computes. */
  attributes(name: string, wanted: readonly string[] | undefined): Record<string, string> {
    const queue = this.queue(name);
    const now = this.now();
    const inFlight = queue.messages.filter((m) => m.receiptHandle !== undefined && m.visibleAt > now).length;
    const delayed = queue.messages.filter((m) => m.receiptHandle === undefined && m.visibleAt > now).length;
    const all: Record<string, string> = {
      ...queue.attributes,
      QueueArn: this.arn(name),
      ApproximateNumberOfMessages: String(queue.messages.length - inFlight - delayed),
      ApproximateNumberOfMessagesNotVisible: String(inFlight),
      ApproximateNumberOfMessagesDelayed: String(delayed),
      CreatedTimestamp: String(queue.createdAt),
      LastModifiedTimestamp: String(queue.modifiedAt),
    };
    const known = new Set([...Object.keys(all), ...Object.keys(RANGES), ...OTHER_ATTRIBUTES]);
    for (const want of wanted ?? []) {
      if (want !== 'All' && !known.has(want))
        throw new SqsError('InvalidAttributeName', 'InvalidAttributeName', `Unknown Attribute ${want}.`);
    }
    const selected = selectNames(Object.keys(all), wanted);
    return Object.fromEntries(selected.map((key) => [key, all[key] ?? '']));
  }

  tags(name: string): Record<string, string> {
    return { ...this.queue(name).tags };
  }

  tag(name: string, tags: Readonly<Record<string, string>>): void {
    const queue = this.queue(name);
    queue.tags = { ...queue.tags, ...tags };
    this.changed();
  }

  untag(name: string, keys: readonly string[]): void {
    const queue = this.queue(name);
    queue.tags = Object.fromEntries(Object.entries(queue.tags).filter(([key]) => !keys.includes(key)));
    this.changed();
  }

  /** SendMessage. */
  send(name: string, input: SendInput): SendResult {
    const queue = this.queue(name);
    if (input.body === '') throw missingParameter('MessageBody', 'SendMessage');
    if (INVALID_BODY.test(input.body))
      throw new SqsError(
        'InvalidMessageContents',
        'InvalidMessageContents',
        'Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF',
      );
    const attributes = input.attributes ?? {};
    checkMessageAttributes(attributes);
    const limit = Number(queue.attributes.MaximumMessageSize);
    if (messageSize(input) > limit)
      throw invalidParameter(
        `One or more parameters are invalid. Reason: Message must be shorter than ${limit} bytes.`,
      );
    const now = this.now();
    let dedupId: string | undefined;
    if (queue.fifo) {
      if (input.groupId === undefined || input.groupId === '')
        throw missingParameter('MessageGroupId', 'SendMessage to a FIFO queue');
      if (input.delaySeconds !== undefined && input.delaySeconds !== 0)
        throw invalidParameter(
          `Value ${input.delaySeconds} for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.`,
        );
      dedupId = input.dedupId;
      if (dedupId === undefined) {
        if (queue.attributes.ContentBasedDeduplication !== 'true')
          throw invalidParameter(
            'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
          );
        dedupId = createHash('sha256').update(input.body).digest('hex');
      }
      const seen = queue.dedup[dedupId];
      if (seen !== undefined && seen.at + DEDUP_WINDOW_MS > now) {
        return this.sendResult(seen.messageId, input.body, attributes, seen.sequenceNumber);
      }
    } else if (input.groupId !== undefined && input.dedupId !== undefined) {
      throw invalidParameter(
        'The request include parameter MessageDeduplicationId that is not valid for this queue type',
      );
    }
    const delay = input.delaySeconds ?? Number(queue.attributes.DelaySeconds);
    if (!Number.isInteger(delay) || delay < 0 || delay > 900)
      throw invalidParameter(
        `Value ${delay} for parameter DelaySeconds is invalid. Reason: it must be 0 to 900.`,
      );
    const id = randomUUID();
    let sequenceNumber: string | undefined;
    if (queue.fifo) {
      this.sequence += 1n;
      sequenceNumber = this.sequence.toString().padStart(20, '0');
    }
    queue.messages.push({
      id,
      body: input.body,
      attributes: { ...attributes },
      sentAt: now,
      visibleAt: now + delay * 1000,
      receiveCount: 0,
      ...(input.groupId === undefined ? {} : { groupId: input.groupId }),
      ...(dedupId === undefined ? {} : { dedupId }),
      ...(sequenceNumber === undefined ? {} : { sequenceNumber }),
      ...(input.traceHeader === undefined ? {} : { traceHeader: input.traceHeader }),
    });
    if (dedupId !== undefined) {
      queue.dedup[dedupId] = {
        messageId: id,
        at: now,
        ...(sequenceNumber === undefined ? {} : { sequenceNumber }),
      };
    }
    this.changed();
    this.notify(name);
    return this.sendResult(id, input.body, attributes, sequenceNumber);
  }

  /** Sends to the queue an ARN names: how SNS subscriptions and EventBridge targets deliver. */
  sendToArn(arn: string, input: SendInput): SendResult {
    const parts = parseArn(arn);
    if (parts?.service !== 'sqs') throw invalidParameter(`'${arn}' is not a queue ARN`);
    return this.send(parts.resource, input);
  }

  private sendResult(
    id: string,
    body: string,
    attributes: Readonly<Record<string, MessageAttributeValue>>,
    sequenceNumber: string | undefined,
  ): SendResult {
    const attributesMd5 = md5OfMessageAttributes(attributes);
    return {
      MessageId: id,
      MD5OfMessageBody: md5Hex(body),
      ...(attributesMd5 === undefined ? {} : { MD5OfMessageAttributes: attributesMd5 }),
      ...(sequenceNumber === undefined ? {} : { SequenceNumber: sequenceNumber }),
    };
  }

  /** ReceiveMessage: what is visible now, or, with a wait, the first messages to become visible. */
  async receive(name: string, input: ReceiveInput): Promise<ReceivedMessage[]> {
    const max = input.maxMessages ?? 1;
    if (!Number.isInteger(max) || max < 1 || max > 10)
      throw invalidParameter(
        `Value ${max} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`,
      );
    const queue = this.queue(name);
    const wait = input.waitSeconds ?? Number(queue.attributes.ReceiveMessageWaitTimeSeconds);
    if (!Number.isInteger(wait) || wait < 0 || wait > 20)
      throw invalidParameter(
        `Value ${wait} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.`,
      );
    const visibility = input.visibilityTimeout ?? Number(queue.attributes.VisibilityTimeout);
    if (!Number.isInteger(visibility) || visibility < 0 || visibility > 43_200)
      throw invalidParameter(
        `Value ${visibility} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200.`,
      );
    const deadline = this.now() + wait * 1000;
    for (;;) {
      const taken = this.take(this.queue(name), max, visibility, input);
      if (taken.length > 0 || this.closed || this.now() >= deadline) return taken;
      await this.waitForChange(name, deadline);
    }
  }

  private take(queue: QueueState, max: number, visibility: number, input: ReceiveInput): ReceivedMessage[] {
    const now = this.now();
    const out: ReceivedMessage[] = [];
    const blocked = new Set<string>();
    if (queue.fifo) {
      for (const message of queue.messages)
        if (message.groupId !== undefined && message.visibleAt > now && message.receiptHandle !== undefined)
          blocked.add(message.groupId);
    }
    const redrive =
      queue.attributes.RedrivePolicy === undefined || queue.attributes.RedrivePolicy === ''
        ? undefined
        : redrivePolicy(queue.attributes.RedrivePolicy);
    for (const message of [...queue.messages]) {
      if (out.length >= max) break;
      if (message.visibleAt > now) continue;
      if (message.groupId !== undefined && blocked.has(message.groupId)) continue;
      if (redrive !== undefined && message.receiveCount >= redrive.maxReceiveCount) {
        const target = parseArn(redrive.deadLetterTargetArn)?.resource;
        const dlq = target === undefined ? undefined : this.queues.get(target);
        if (dlq !== undefined) {
          queue.messages = queue.messages.filter((m) => m !== message);
          const { receiptHandle: _handle, ...moved } = message;
          dlq.messages.push({ ...moved, visibleAt: now });
          this.notify(dlq.name);
          continue;
        }
      }
      message.receiveCount += 1;
      message.firstReceivedAt ??= now;
      message.visibleAt = now + visibility * 1000;
      message.receiptHandle = encodeReceiptHandle(queue.name, message.id);
      out.push(this.received(message, input));
    }
    if (out.length > 0) this.changed();
    return out;
  }

  private received(message: StoredMessage, input: ReceiveInput): ReceivedMessage {
    const system: Record<string, string | undefined> = {
      SenderId: '000000000000',
      SentTimestamp: String(message.sentAt),
      ApproximateReceiveCount: String(message.receiveCount),
      ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt ?? message.sentAt),
      SequenceNumber: message.sequenceNumber,
      MessageDeduplicationId: message.dedupId,
      MessageGroupId: message.groupId,
      AWSTraceHeader: message.traceHeader,
    };
    const present = SYSTEM_ATTRIBUTES.filter((key) => system[key] !== undefined);
    const attributeNames = selectNames(present, input.attributeNames);
    const messageAttributeNames = selectNames(Object.keys(message.attributes), input.messageAttributeNames);
    const messageAttributes = Object.fromEntries(
      messageAttributeNames.map((key) => [key, message.attributes[key] as MessageAttributeValue]),
    );
    const attributesMd5 = md5OfMessageAttributes(messageAttributes);
    return {
      MessageId: message.id,
      ReceiptHandle: message.receiptHandle ?? '',
      MD5OfBody: md5Hex(message.body),
      Body: message.body,
      ...(attributeNames.length === 0
        ? {}
        : { Attributes: Object.fromEntries(attributeNames.map((key) => [key, system[key] ?? ''])) }),
      ...(attributesMd5 === undefined
        ? {}
        : { MD5OfMessageAttributes: attributesMd5, MessageAttributes: messageAttributes }),
    };
  }

  /** DeleteMessage: removes the message; a handle of a message already gone succeeds, as in SQS. */
  deleteMessage(name: string, receiptHandle: string): void {
    const queue = this.queue(name);
    const handle = decodeReceiptHandle(receiptHandle);
    if (handle.queue !== name)
      throw new SqsError(
        'ReceiptHandleIsInvalid',
        'ReceiptHandleIsInvalid',
        `The input receipt handle "${receiptHandle}" is not a valid receipt handle for queue ${name}.`,
      );
    const before = queue.messages.length;
    queue.messages = queue.messages.filter((message) => message.id !== handle.messageId);
    if (queue.messages.length !== before) this.changed();
  }

  /** ChangeMessageVisibility: a new timeout, from now, for a message in flight. */
  changeVisibility(name: string, receiptHandle: string, timeout: number): void {
    const queue = this.queue(name);
    const handle = decodeReceiptHandle(receiptHandle);
    if (!Number.isInteger(timeout) || timeout < 0 || timeout > 43_200)
      throw invalidParameter(
        `Value ${timeout} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200.`,
      );
    const now = this.now();
    const message = queue.messages.find((m) => m.id === handle.messageId);
    if (
      handle.queue !== name ||
      message === undefined ||
      message.receiptHandle === undefined ||
      message.visibleAt <= now
    )
      throw new SqsError(
        'MessageNotInflight',
        'AWS.SimpleQueueService.MessageNotInflight',
        `Message does not exist or is not available for visibility timeout change (receipt handle ${receiptHandle}).`,
      );
    message.visibleAt = now + timeout * 1000;
    this.changed();
    this.notify(name);
  }

  /** Drops messages past the retention period and FIFO deduplication ids past their window. */
  private expire(queue: QueueState): void {
    const now = this.now();
    const retentionMs = Number(queue.attributes.MessageRetentionPeriod) * 1000;
    const kept = queue.messages.filter((message) => message.sentAt + retentionMs > now);
    if (kept.length !== queue.messages.length) {
      queue.messages = kept;
      this.changed();
    }
    for (const [id, seen] of Object.entries(queue.dedup)) {
      if (seen.at + DEDUP_WINDOW_MS <= now) delete queue.dedup[id];
    }
  }

  private notify(name: string): void {
    for (const waiter of this.waiters.get(name) ?? []) waiter.wake();
  }

  /**
   * Resolves when something happens to the queue that can make a message visible: a send or a visibility
   * change (notified), the next delay or visibility timeout ending, or the long poll's deadline.
   */
  private waitForChange(name: string, deadline: number): Promise<void> {
    const now = this.now();
    const queue = this.queues.get(name);
    const next = Math.min(
      deadline,
      ...(queue?.messages.filter((m) => m.visibleAt > now).map((m) => m.visibleAt) ?? []),
    );
    return new Promise<void>((resolve) => {
      let set = this.waiters.get(name);
      if (set === undefined) {
        set = new Set();
        this.waiters.set(name, set);
      }
      const waiters = set;
      const waiter: Waiter = {
        wake: () => {
          clearTimeout(timer);
          waiters.delete(waiter);
          if (waiters.size === 0) this.waiters.delete(name);
          resolve();
        },
      };
      const timer = setTimeout(waiter.wake, Math.max(0, next - now));
      waiters.add(waiter);
    });
  }
}

/** A receipt handle names its queue and message; a fresh nonce makes each receive's handle distinct. */
function encodeReceiptHandle(queue: string, messageId: string): string {
  return Buffer.from(JSON.stringify({ q: queue, m: messageId, n: randomUUID() })).toString('base64url');
}

function decodeReceiptHandle(handle: string): { readonly queue: string; readonly messageId: string } {
  try {
    const parsed = JSON.parse(Buffer.from(handle, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (typeof parsed.q === 'string' && typeof parsed.m === 'string')
      return { queue: parsed.q, messageId: parsed.m };
  } catch {
    // Reported below.
  }
  throw new SqsError(
    'ReceiptHandleIsInvalid',
    'ReceiptHandleIsInvalid',
    `The input receipt handle "${handle}" is not a valid receipt handle.`,
  );
}
