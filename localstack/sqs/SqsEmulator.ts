/**
 * The local SQS behind the edge (signing name `sqs`). It speaks both wire protocols SQS accepts: AWS JSON
 * 1.0, which the SDK v3 client sends (`X-Amz-Target: AmazonSQS.SendMessage`, JSON body, `QueueUrl` in the
 * body), and the older query protocol (form body, XML answers) of other clients. Both are read into the
 * JSON shapes and served by the same operations over {@link SqsQueues}.
 *
 * ```
 * POST /  X-Amz-Target: AmazonSQS.ReceiveMessage  {"QueueUrl":"http://127.0.0.1:4566/000000000000/q","WaitTimeSeconds":5}
 * POST /000000000000/q  Action=ReceiveMessage&WaitTimeSeconds=5          (query protocol)
 * ```
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { LOCAL_ACCOUNT } from '../arn.ts';
import {
  decodeQuery,
  type QueryNode,
  QuerySyntaxError,
  queryList,
  queryResponse,
  queryString,
  xml,
  xmlRaw,
} from '../awsQuery.ts';
import { jsonSnapshot } from '../jsonSnapshot.ts';
import type { HostLog } from '../lambda/index.ts';
import type { EdgeRequest, EdgeResponse, ServiceEmulator, StackContext } from '../service.ts';
import { invalidParameter, missingParameter, queueDoesNotExist, SQS_NAMESPACE, SqsError } from './errors.ts';
import type { MessageAttributeValue } from './md5.ts';
import { type SendInput, SqsQueues, type SqsSnapshot } from './SqsQueues.ts';

/** How the emulation is built. */
export interface SqsEmulatorOptions {
  readonly region?: string;
  /** Keeps the queues and their messages in `DIR/state.json`; default in memory. */
  readonly dataDir?: string;
  readonly now?: () => number;
  readonly log?: HostLog;
}

/** The SQS emulation, with its queues for the services that deliver to them in-process. */
export interface SqsEmulator extends ServiceEmulator {
  readonly queues: SqsQueues;
  /** Resolves once the snapshot (if any) is loaded. */
  ready(): Promise<void>;
}

type Json = Record<string, unknown>;
type Operation = (input: Json, request: EdgeRequest) => Promise<Json> | Json;

const TARGET_PREFIX = 'AmazonSQS.';
const BATCH_ID = /^[a-zA-Z0-9_-]{1,80}$/;
const BATCH_BYTES = 1_048_576;

const defaultLog: HostLog = {
  info: (message, extra) =>
    console.info(JSON.stringify({ level: 'INFO', service: 'sqs', message, ...extra })),
  error: (message, extra) =>
    console.error(JSON.stringify({ level: 'ERROR', service: 'sqs', message, ...extra })),
};

/**
 * Builds the SQS emulation.
 *
 * @example
 * const sqs = createSqsEmulator();
 * const stack = await startLocalStack({ port: 0, services: [sqs] });
 * const client = new SQSClient(clientConfig(stack.aws, 'sqs'));
 */
export function createSqsEmulator(options: SqsEmulatorOptions = {}): SqsEmulator {
  return new SqsService(options);
}

class SqsService implements SqsEmulator {
  readonly signingName = 'sqs';
  readonly queues: SqsQueues;
  private readonly loaded: Promise<void>;
  private readonly snapshot;
  private endpoint: string | undefined;
  private readonly operations: Readonly<Record<string, Operation>>;

  constructor(options: SqsEmulatorOptions) {
    const log = options.log ?? defaultLog;
    const file = options.dataDir === undefined ? undefined : join(options.dataDir, 'state.json');
    this.snapshot = jsonSnapshot<SqsSnapshot>(
      file,
      () => this.queues.snapshot(),
      (error) => log.error('cannot write the SQS snapshot', { file, error: String(error) }),
    );
    this.queues = new SqsQueues(options.region ?? 'us-east-1', options.now, () => this.snapshot.changed());
    this.loaded = this.snapshot.load().then((state) => {
      if (state !== undefined) this.queues.restore(state);
    });
    this.operations = this.buildOperations();
  }

  ready(): Promise<void> {
    return this.loaded;
  }

  attach(context: StackContext): void {
    this.endpoint = context.aws.endpoint;
  }

  async close(): Promise<void> {
    this.queues.close();
    await this.loaded.catch(() => undefined);
    await this.snapshot.flush();
  }

  async handle(request: EdgeRequest): Promise<EdgeResponse> {
    const target = request.headers['x-amz-target'];
    const json = target !== undefined;
    try {
      await this.loaded;
      if (json) {
        const action = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target;
        const output = await this.run(action, parseJsonBody(request.body), request);
        return {
          status: 200,
          headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID() },
          body: JSON.stringify(output),
        };
      }
      const question = request.url.indexOf('?');
      const form = `${question < 0 ? '' : request.url.slice(question + 1)}&${request.body.toString('utf8')}`;
      const tree = decodeQuery(form);
      const action = queryString(tree, 'Action');
      if (action === undefined) throw missingParameter('Action', 'query request');
      const input = fromQuery(tree);
      // The query protocol may name the queue by the request path instead of a QueueUrl parameter.
      if (input.QueueUrl === undefined && /^\/\d{12}\/[^/?]+/.test(request.url)) {
        input.QueueUrl = `${this.base(request)}${request.url.split('?')[0] ?? ''}`;
      }
      const output = await this.run(action, input, request);
      return queryResponse(SQS_NAMESPACE, action, toXml(action, output));
    } catch (error) {
      const sqsError =
        error instanceof SqsError
          ? error
          : error instanceof QuerySyntaxError
            ? invalidParameter(error.message)
            : new SqsError('InternalError', 'InternalError', describe(error), 500);
      return json ? sqsError.toJsonResponse() : sqsError.toQueryResponse();
    }
  }

  private async run(action: string, input: Json, request: EdgeRequest): Promise<Json> {
    const operation = Object.hasOwn(this.operations, action) ? this.operations[action] : undefined;
    if (operation === undefined)
      throw new SqsError(
        'UnsupportedOperation',
        'AWS.SimpleQueueService.UnsupportedOperation',
        `The local SQS does not serve ${action}; it serves ${Object.keys(this.operations).sort().join(', ')}`,
      );
    return operation(input, request);
  }

  /** `http://HOST:PORT` as the client reached the edge, so queue URLs work from where they were asked. */
  private base(request: EdgeRequest): string {
    const host = request.headers.host;
    if (host !== undefined && host !== '') return `http://${host}`;
    return this.endpoint ?? 'http://127.0.0.1:4566';
  }

  private url(request: EdgeRequest, name: string): string {
    return `${this.base(request)}/${LOCAL_ACCOUNT}/${name}`;
  }

  private buildOperations(): Record<string, Operation> {
    const q = this.queues;
    return {
      CreateQueue: (input, request) => {
        const name = requiredString(input, 'QueueName', 'CreateQueue');
        q.create(name, stringMap(input, 'Attributes'), stringMap(input, 'tags'));
        return { QueueUrl: this.url(request, name) };
      },
      GetQueueUrl: (input, request) => {
        const name = requiredString(input, 'QueueName', 'GetQueueUrl');
        if (!q.has(name)) throw queueDoesNotExist(name);
        return { QueueUrl: this.url(request, name) };
      },
      ListQueues: (input, request) => {
        const prefix = optionalString(input, 'QueueNamePrefix') ?? '';
        const max = optionalInteger(input, 'MaxResults');
        const after = optionalString(input, 'NextToken');
        let names = q.names(prefix);
        if (after !== undefined) {
          const last = Buffer.from(after, 'base64url').toString('utf8');
          names = names.filter((name) => name > last);
        }
        if (max !== undefined && (max < 1 || max > 1000))
          throw invalidParameter(
            `Value ${max} for parameter MaxResults is invalid. Reason: Must be 1 to 1000.`,
          );
        const page = names.slice(0, max ?? 1000);
        const more = max !== undefined && names.length > page.length;
        return {
          ...(page.length === 0 ? {} : { QueueUrls: page.map((name) => this.url(request, name)) }),
          ...(more ? { NextToken: Buffer.from(page.at(-1) ?? '').toString('base64url') } : {}),
        };
      },
      DeleteQueue: (input) => {
        q.delete(queueName(input));
        return {};
      },
      PurgeQueue: (input) => {
        q.purge(queueName(input));
        return {};
      },
      GetQueueAttributes: (input) => {
        const attributes = q.attributes(queueName(input), stringList(input, 'AttributeNames'));
        return Object.keys(attributes).length === 0 ? {} : { Attributes: attributes };
      },
      SetQueueAttributes: (input) => {
        q.setAttributes(queueName(input), stringMap(input, 'Attributes'));
        return {};
      },
      ListQueueTags: (input) => {
        const tags = q.tags(queueName(input));
        return Object.keys(tags).length === 0 ? {} : { Tags: tags };
      },
      TagQueue: (input) => {
        q.tag(queueName(input), stringMap(input, 'Tags'));
        return {};
      },
      UntagQueue: (input) => {
        q.untag(queueName(input), stringList(input, 'TagKeys') ?? []);
        return {};
      },
      SendMessage: (input) => ({ ...q.send(queueName(input), sendInput(input, 'SendMessage')) }),
      SendMessageBatch: (input) => {
        const name = queueName(input);
        const entries = batchEntries(input, 'SendMessageBatch');
        const total = entries.reduce(
          (sum, entry) => sum + Buffer.byteLength(String(entry.MessageBody ?? '')),
          0,
        );
        if (total > BATCH_BYTES)
          throw new SqsError(
            'BatchRequestTooLong',
            'AWS.SimpleQueueService.BatchRequestTooLong',
            `Batch requests cannot be longer than ${BATCH_BYTES} bytes. You have sent ${total} bytes.`,
          );
        return batch(entries, (entry) => q.send(name, sendInput(entry, 'SendMessageBatch')));
      },
      ReceiveMessage: async (input) => {
        const name = queueName(input);
        const attributeNames = [
          ...(stringList(input, 'AttributeNames') ?? []),
          ...(stringList(input, 'MessageSystemAttributeNames') ?? []),
        ];
        const messageAttributeNames = stringList(input, 'MessageAttributeNames');
        const maxMessages = optionalInteger(input, 'MaxNumberOfMessages');
        const visibilityTimeout = optionalInteger(input, 'VisibilityTimeout');
        const waitSeconds = optionalInteger(input, 'WaitTimeSeconds');
        const messages = await q.receive(name, {
          attributeNames,
          ...(messageAttributeNames === undefined ? {} : { messageAttributeNames }),
          ...(maxMessages === undefined ? {} : { maxMessages }),
          ...(visibilityTimeout === undefined ? {} : { visibilityTimeout }),
          ...(waitSeconds === undefined ? {} : { waitSeconds }),
        });
        return messages.length === 0 ? {} : { Messages: messages };
      },
      DeleteMessage: (input) => {
        q.deleteMessage(queueName(input), requiredString(input, 'ReceiptHandle', 'DeleteMessage'));
        return {};
      },
      DeleteMessageBatch: (input) => {
        const name = queueName(input);
        return batch(batchEntries(input, 'DeleteMessageBatch'), (entry) => {
          q.deleteMessage(name, requiredString(entry, 'ReceiptHandle', 'DeleteMessageBatch'));
          return {};
        });
      },
      ChangeMessageVisibility: (input) => {
        q.changeVisibility(
          queueName(input),
          requiredString(input, 'ReceiptHandle', 'ChangeMessageVisibility'),
          requiredInteger(input, 'VisibilityTimeout', 'ChangeMessageVisibility'),
        );
        return {};
      },
      ChangeMessageVisibilityBatch: (input) => {
        const name = queueName(input);
        return batch(batchEntries(input, 'ChangeMessageVisibilityBatch'), (entry) => {
          q.changeVisibility(
            name,
            requiredString(entry, 'ReceiptHandle', 'ChangeMessageVisibilityBatch'),
            requiredInteger(entry, 'VisibilityTimeout', 'ChangeMessageVisibilityBatch'),
          );
          return {};
        });
      },
    };
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function parseJsonBody(body: Buffer): Json {
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new SqsError(
      'SerializationException',
      'SerializationException',
      `The body is not JSON: ${describe(error)}`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new SqsError('SerializationException', 'SerializationException', 'The body must be a JSON object');
  return parsed as Json;
}

function optionalString(input: Json, field: string): string | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string')
    throw invalidParameter(`${field} must be a string, got ${JSON.stringify(value)}`);
  return value;
}

function requiredString(input: Json, field: string, action: string): string {
  const value = optionalString(input, field);
  if (value === undefined) throw missingParameter(field, action);
  return value;
}

function optionalInteger(input: Json, field: string): number | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  const number = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number))
    throw invalidParameter(`${field} must be an integer, got ${JSON.stringify(value)}`);
  return number;
}

function requiredInteger(input: Json, field: string, action: string): number {
  const value = optionalInteger(input, field);
  if (value === undefined) throw missingParameter(field, action);
  return value;
}

function stringMap(input: Json, field: string): Record<string, string> {
  const value = input[field];
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw invalidParameter(`${field} must be a map of strings`);
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') throw invalidParameter(`${field}.${key} must be a string`);
    out[key] = item;
  }
  return out;
}

function stringList(input: Json, field: string): string[] | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string'))
    throw invalidParameter(`${field} must be a list of strings`);
  return value as string[];
}

/** The queue a `QueueUrl` names: its last path segment. */
function queueName(input: Json): string {
  const url = optionalString(input, 'QueueUrl');
  if (url === undefined || url === '') throw missingParameter('QueueUrl', 'a queue operation');
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    throw new SqsError(
      'InvalidAddress',
      'InvalidAddress',
      `The address ${url} is not valid for this endpoint.`,
      404,
    );
  }
  const name = path
    .split('/')
    .filter((part) => part !== '')
    .at(-1);
  if (name === undefined)
    throw new SqsError('InvalidAddress', 'InvalidAddress', `The address ${url} names no queue.`, 404);
  return decodeURIComponent(name);
}

function messageAttributes(input: Json): Record<string, MessageAttributeValue> {
  const value = input.MessageAttributes;
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw invalidParameter('MessageAttributes must be a map');
  const out: Record<string, MessageAttributeValue> = {};
  for (const [name, raw] of Object.entries(value as Json)) {
    const attribute = (typeof raw === 'object' && raw !== null ? raw : {}) as Json;
    const dataType = optionalString(attribute, 'DataType');
    if (dataType === undefined)
      throw invalidParameter(`The message attribute '${name}' must contain a DataType.`);
    const stringValue = optionalString(attribute, 'StringValue');
    const binaryValue = optionalString(attribute, 'BinaryValue');
    out[name] = {
      DataType: dataType,
      ...(stringValue === undefined ? {} : { StringValue: stringValue }),
      ...(binaryValue === undefined ? {} : { BinaryValue: binaryValue }),
    };
  }
  return out;
}

function sendInput(input: Json, action: string): SendInput {
  const delaySeconds = optionalInteger(input, 'DelaySeconds');
  const groupId = optionalString(input, 'MessageGroupId');
  const dedupId = optionalString(input, 'MessageDeduplicationId');
  const system = input.MessageSystemAttributes as Json | undefined;
  const trace = (system?.AWSTraceHeader as Json | undefined)?.StringValue;
  return {
    body: requiredString(input, 'MessageBody', action),
    attributes: messageAttributes(input),
    ...(delaySeconds === undefined ? {} : { delaySeconds }),
    ...(groupId === undefined ? {} : { groupId }),
    ...(dedupId === undefined ? {} : { dedupId }),
    ...(typeof trace === 'string' ? { traceHeader: trace } : {}),
  };
}

function batchEntries(input: Json, action: string): Json[] {
  const entries = input.Entries;
  if (!Array.isArray(entries) || entries.length === 0)
    throw new SqsError(
      'EmptyBatchRequest',
      'AWS.SimpleQueueService.EmptyBatchRequest',
      `There should be at least one ${action}RequestEntry in the request.`,
    );
  if (entries.length > 10)
    throw new SqsError(
      'TooManyEntriesInBatchRequest',
      'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
      `Maximum number of entries per request are 10. You have sent ${entries.length}.`,
    );
  const ids = new Set<string>();
  return entries.map((entry: unknown) => {
    const record = (typeof entry === 'object' && entry !== null ? entry : {}) as Json;
    const id = optionalString(record, 'Id') ?? '';
    if (!BATCH_ID.test(id))
      throw new SqsError(
        'InvalidBatchEntryId',
        'AWS.SimpleQueueService.InvalidBatchEntryId',
        `A batch entry id can only contain alphanumeric characters, hyphens and underscores, 1 to 80 long: '${id}'.`,
      );
    if (ids.has(id))
      throw new SqsError(
        'BatchEntryIdsNotDistinct',
        'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
        `Id ${id} repeated.`,
      );
    ids.add(id);
    return record;
  });
}

/** Runs each entry on its own: one entry's error fails that entry, not the batch. */
function batch(entries: readonly Json[], run: (entry: Json) => object): Json {
  const successful: Json[] = [];
  const failed: Json[] = [];
  for (const entry of entries) {
    const id = String(entry.Id);
    try {
      successful.push({ Id: id, ...run(entry) });
    } catch (error) {
      if (!(error instanceof SqsError)) throw error;
      failed.push({ Id: id, SenderFault: error.status < 500, Code: error.code, Message: error.message });
    }
  }
  return { Successful: successful, Failed: failed };
}

/** Numeric query parameters, which the form carries as text. */
const QUERY_INTEGERS = new Set([
  'DelaySeconds',
  'MaxNumberOfMessages',
  'VisibilityTimeout',
  'WaitTimeSeconds',
  'MaxResults',
]);

/**
 * A query-protocol request tree in the JSON protocol's shape: `Attribute.N.Name/Value` become the
 * `Attributes` map, `AttributeName.N` the `AttributeNames` list, `*BatchRequestEntry.N` the `Entries`.
 */
export function fromQuery(tree: QueryNode): Json {
  const out: Json = {};
  if (typeof tree === 'string') return out;
  const pairs = (node: QueryNode | undefined, key: string, value: string): Record<string, QueryNode> => {
    const map: Record<string, QueryNode> = {};
    for (const entry of queryList(node)) {
      const name = queryString(entry, key);
      const item = typeof entry === 'string' ? undefined : entry[value];
      if (name !== undefined && item !== undefined) map[name] = item;
    }
    return map;
  };
  const strings = (node: QueryNode | undefined): string[] =>
    queryList(node).filter((item): item is string => typeof item === 'string');
  for (const [key, node] of Object.entries(tree)) {
    if (key === 'Attribute') out.Attributes = pairs(node, 'Name', 'Value');
    else if (key === 'Tag')
      out[Object.hasOwn(tree, 'QueueName') ? 'tags' : 'Tags'] = pairs(node, 'Key', 'Value');
    else if (key === 'AttributeName') out.AttributeNames = strings(node);
    else if (key === 'MessageSystemAttributeName') out.MessageSystemAttributeNames = strings(node);
    else if (key === 'MessageAttributeName') out.MessageAttributeNames = strings(node);
    else if (key === 'TagKey') out.TagKeys = strings(node);
    else if (key === 'MessageAttribute') out.MessageAttributes = pairs(node, 'Name', 'Value');
    else if (key.endsWith('BatchRequestEntry')) out.Entries = queryList(node).map(fromQuery);
    else if (typeof node === 'string') out[key] = QUERY_INTEGERS.has(key) ? Number(node) : node;
  }
  return out;
}

/** A JSON-protocol answer as the query protocol's XML result (flattened lists, as SQS writes them). */
export function toXml(action: string, output: Json): string {
  const element = (key: string, value: unknown): string => {
    if (Array.isArray(value)) {
      const name =
        key === 'QueueUrls'
          ? 'QueueUrl'
          : key === 'Messages'
            ? 'Message'
            : key === 'Successful'
              ? `${action}ResultEntry`
              : key === 'Failed'
                ? 'BatchResultErrorEntry'
                : key;
      return value
        .map((item) =>
          typeof item === 'object' && item !== null
            ? xmlRaw(name, fields(item as Json))
            : xml(name, String(item)),
        )
        .join('');
    }
    if (key === 'Attributes' || key === 'Tags' || key === 'MessageAttributes') {
      const [name, keyName] =
        key === 'Attributes'
          ? ['Attribute', 'Name']
          : key === 'Tags'
            ? ['Tag', 'Key']
            : ['MessageAttribute', 'Name'];
      return Object.entries(value as Json)
        .map(([entryKey, entryValue]) =>
          xmlRaw(
            name,
            xml(keyName, entryKey) +
              (typeof entryValue === 'object' && entryValue !== null
                ? xmlRaw('Value', fields(entryValue as Json))
                : xml('Value', String(entryValue))),
          ),
        )
        .join('');
    }
    return xml(key, value === undefined ? undefined : String(value));
  };
  const fields = (object: Json): string =>
    Object.entries(object)
      .map(([key, value]) => element(key, value))
      .join('');
  return fields(output);
}
