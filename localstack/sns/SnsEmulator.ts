/**
 * The local SNS behind the edge (signing name `sns`, query protocol, XML answers). A publish fans out to
 * the topic's subscriptions whose filter policy matches, as SNS does:
 *
 * ```
 * Publish(topic) --filter policy--> sqs        the local SQS: the JSON notification envelope, or the bare
 *                                              message and its attributes with RawMessageDelivery
 *                --filter policy--> lambda     the local Lambda host, invoked asynchronously with the
 *                                              { Records: [{ EventSource: 'aws:sns', Sns }] } event
 *                --filter policy--> email      the inbox (GET /_local/sns/messages, DIR/sns/inbox.jsonl)
 *                                   email-json
 * ```
 *
 * Differences from SNS, for a laptop: every subscription is confirmed at once (no confirmation mail);
 * queues and the inbox have the notification before Publish answers (SNS: within milliseconds after),
 * Lambda functions run after it; a delivery that fails is logged, not retried.
 */
import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { lambdaClient } from '../../router/aws/index.ts';
import { LOCAL_ACCOUNT, localArn, parseArn } from '../arn.ts';
import {
  decodeQuery,
  type QueryNode,
  QuerySyntaxError,
  queryError,
  queryList,
  queryMap,
  queryResponse,
  queryString,
  xml,
  xmlRaw,
} from '../awsQuery.ts';
import { jsonSnapshot } from '../jsonSnapshot.ts';
import type { HostLog } from '../lambda/index.ts';
import type { EdgeRequest, EdgeResponse, ServiceEmulator, StackContext } from '../service.ts';
import type { MessageAttributeValue, SqsEmulator } from '../sqs/index.ts';
import { compileFilterPolicy, FilterPolicyError, type FilterPolicyScope } from './filterPolicy.ts';
import { EmailInbox, type EmailNotification } from './inbox.ts';

/** The XML namespace of SNS documents. */
const SNS_NAMESPACE = 'http://sns.amazonaws.com/doc/2010-03-31/';
const LOCAL_PATH = '/_local/sns/messages';
const DEDUP_WINDOW_MS = 5 * 60 * 1000;
const MAX_MESSAGE_BYTES = 262_144;
const PROTOCOLS = new Set(['sqs', 'lambda', 'email', 'email-json']);
const TOPIC_ATTRIBUTES = new Set([
  'DisplayName',
  'Policy',
  'DeliveryPolicy',
  'FifoTopic',
  'ContentBasedDeduplication',
  'KmsMasterKeyId',
  'SignatureVersion',
  'TracingConfig',
  'ArchivePolicy',
  'FifoThroughputScope',
]);
const SUBSCRIPTION_ATTRIBUTES = new Set([
  'RawMessageDelivery',
  'FilterPolicy',
  'FilterPolicyScope',
  'DeliveryPolicy',
  'RedrivePolicy',
  'SubscriptionRoleArn',
]);

/** An SNS API error, written in the query protocol's `<ErrorResponse>`. */
class SnsError extends Error {
  override readonly name = 'SnsError';

  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

function invalidParameter(message: string): SnsError {
  return new SnsError('InvalidParameter', `Invalid parameter: ${message}`);
}

interface Topic {
  readonly name: string;
  readonly arn: string;
  readonly fifo: boolean;
  attributes: Record<string, string>;
  tags: Record<string, string>;
  dedup: Record<string, { readonly messageId: string; readonly sequenceNumber: string; readonly at: number }>;
}

interface Subscription {
  readonly arn: string;
  readonly topicArn: string;
  readonly protocol: string;
  readonly endpoint: string;
  attributes: Record<string, string>;
}

interface SnsSnapshot {
  readonly sequence: string;
  readonly topics: readonly Topic[];
  readonly subscriptions: readonly Subscription[];
}

/** One message of a Publish or a PublishBatch entry. */
interface PublishInput {
  readonly message: string;
  readonly subject?: string;
  readonly structure?: string;
  readonly attributes: Record<string, MessageAttributeValue>;
  readonly groupId?: string;
  readonly dedupId?: string;
}

/** How the emulation is built. */
export interface SnsEmulatorOptions {
  /** Where `sqs` subscriptions deliver. */
  readonly sqs: SqsEmulator;
  readonly region?: string;
  /** Keeps topics and subscriptions in `DIR/state.json` and the email inbox in `DIR/inbox.jsonl`. */
  readonly dataDir?: string;
  /** Told of every email notification as it arrives (the CLI prints one line for each). */
  readonly onEmail?: (notification: EmailNotification) => void;
  readonly now?: () => number;
  readonly log?: HostLog;
}

/** The SNS emulation, with its inbox for tests. */
export interface SnsEmulator extends ServiceEmulator {
  readonly inbox: EmailInbox;
  /** Publishes to a topic in-process: how EventBridge rules with an SNS target deliver. */
  publish(topicArn: string, input: { readonly message: string; readonly subject?: string }): Promise<string>;
  /** Resolves once every Lambda invocation started so far has been handed to the Lambda host. */
  idle(): Promise<void>;
}

const defaultLog: HostLog = {
  info: (message, extra) =>
    console.info(JSON.stringify({ level: 'INFO', service: 'sns', message, ...extra })),
  error: (message, extra) =>
    console.error(JSON.stringify({ level: 'ERROR', service: 'sns', message, ...extra })),
};

/**
 * Builds the SNS emulation.
 *
 * @example
 * const sqs = createSqsEmulator();
 * const sns = createSnsEmulator({ sqs });
 * const stack = await startLocalStack({ port: 0, services: [sqs, sns] });
 */
export function createSnsEmulator(options: SnsEmulatorOptions): SnsEmulator {
  return new SnsService(options);
}

class SnsService implements SnsEmulator {
  readonly signingName = 'sns';
  readonly inbox: EmailInbox;
  private readonly topics = new Map<string, Topic>();
  private readonly subscriptions = new Map<string, Subscription>();
  private sequence = 0n;
  private readonly region: string;
  private readonly now: () => number;
  private readonly log: HostLog;
  private readonly sqs: SqsEmulator;
  private readonly onEmail: (notification: EmailNotification) => void;
  private readonly snapshot;
  private readonly loaded: Promise<void>;
  private readonly pending = new Set<Promise<void>>();
  private endpoint = 'http://127.0.0.1:4566';
  private lambda: LambdaClient | undefined;
  /** Compiled filter policies by scope and text, so a publish does not recompile them. */
  private readonly policies = new Map<string, ReturnType<typeof compileFilterPolicy>>();

  constructor(options: SnsEmulatorOptions) {
    this.region = options.region ?? 'us-east-1';
    this.now = options.now ?? Date.now;
    this.log = options.log ?? defaultLog;
    this.sqs = options.sqs;
    this.onEmail = options.onEmail ?? (() => {});
    const file = options.dataDir === undefined ? undefined : join(options.dataDir, 'state.json');
    this.snapshot = jsonSnapshot<SnsSnapshot>(
      file,
      () => ({
        sequence: this.sequence.toString(),
        topics: [...this.topics.values()],
        subscriptions: [...this.subscriptions.values()],
      }),
      (error) => this.log.error('cannot write the SNS snapshot', { file, error: String(error) }),
    );
    this.inbox = new EmailInbox(
      options.dataDir === undefined ? undefined : join(options.dataDir, 'inbox.jsonl'),
      (error) => this.log.error('cannot keep an email notification', { error: String(error) }),
    );
    this.loaded = Promise.all([this.snapshot.load(), this.inbox.load()]).then(([state]) => {
      if (state === undefined) return;
      for (const topic of state.topics) this.topics.set(topic.arn, topic);
      for (const subscription of state.subscriptions) this.subscriptions.set(subscription.arn, subscription);
      this.sequence = BigInt(state.sequence);
    });
  }

  attach(context: StackContext): void {
    if (context.aws.endpoint !== undefined) this.endpoint = context.aws.endpoint;
    this.lambda = lambdaClient(context.aws);
  }

  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  async close(): Promise<void> {
    await this.idle();
    await this.loaded.catch(() => undefined);
    await Promise.all([this.snapshot.flush(), this.inbox.flush()]);
    this.lambda?.destroy();
  }

  async publish(
    topicArn: string,
    input: { readonly message: string; readonly subject?: string },
  ): Promise<string> {
    await Promise.all([this.loaded, this.sqs.ready()]);
    return this.publishOne(topicArn, { ...input, attributes: {} }).MessageId;
  }

  async handle(request: EdgeRequest): Promise<EdgeResponse> {
    try {
      await Promise.all([this.loaded, this.sqs.ready()]);
      const path = request.url.split('?')[0];
      if (path === LOCAL_PATH) return this.local(request);
      const question = request.url.indexOf('?');
      const form = `${question < 0 ? '' : request.url.slice(question + 1)}&${request.body.toString('utf8')}`;
      const tree = decodeQuery(form);
      const action = queryString(tree, 'Action');
      if (action === undefined) throw new SnsError('MissingAction', 'The request names no Action');
      return queryResponse(SNS_NAMESPACE, action, this.run(action, tree));
    } catch (error) {
      if (error instanceof SnsError)
        return queryError(SNS_NAMESPACE, error.status, error.code, error.message);
      if (error instanceof QuerySyntaxError)
        return queryError(SNS_NAMESPACE, 400, 'InvalidParameter', error.message);
      const message = error instanceof Error ? error.message : String(error);
      this.log.error('SNS emulator failed on a request', { url: request.url, error: message });
      return queryError(SNS_NAMESPACE, 500, 'InternalError', message);
    }
  }

  /** `GET /_local/sns/messages[?to=ADDRESS&topicArn=ARN]` lists the inbox; `DELETE` empties it. */
  private local(request: EdgeRequest): EdgeResponse {
    const params = new URL(request.url, 'http://edge.local').searchParams;
    if (request.method === 'DELETE') {
      this.inbox.clear();
      return { status: 204 };
    }
    if (request.method !== 'GET')
      return {
        status: 405,
        headers: { allow: 'GET, DELETE' },
        body: `${request.method} is not served on ${LOCAL_PATH}`,
      };
    const to = params.get('to');
    const topicArn = params.get('topicArn');
    const messages = this.inbox.list({
      ...(to === null ? {} : { to }),
      ...(topicArn === null ? {} : { topicArn }),
    });
    return {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages }),
    };
  }

  private run(action: string, tree: QueryNode): string {
    switch (action) {
      case 'CreateTopic':
        return xml('TopicArn', this.createTopic(tree));
      case 'ListTopics':
        return this.listTopics(tree);
      case 'GetTopicAttributes':
        return xmlRaw('Attributes', entries(this.topicAttributes(this.topic(required(tree, 'TopicArn')))));
      case 'SetTopicAttributes': {
        const topic = this.topic(required(tree, 'TopicArn'));
        const name = required(tree, 'AttributeName');
        topic.attributes = {
          ...topic.attributes,
          ...checkTopicAttributes({ [name]: queryString(tree, 'AttributeValue') ?? '' }, topic.fifo),
        };
        this.snapshot.changed();
        return '';
      }
      case 'DeleteTopic': {
        const arn = required(tree, 'TopicArn');
        this.topics.delete(arn);
        for (const subscription of this.subscriptions.values())
          if (subscription.topicArn === arn) this.subscriptions.delete(subscription.arn);
        this.snapshot.changed();
        return '';
      }
      case 'Subscribe':
        return xml('SubscriptionArn', this.subscribe(tree));
      case 'Unsubscribe': {
        const arn = required(tree, 'SubscriptionArn');
        if (!this.subscriptions.delete(arn))
          throw new SnsError('NotFound', `Subscription does not exist: ${arn}`, 404);
        this.snapshot.changed();
        return '';
      }
      case 'ListSubscriptions':
        return this.listSubscriptions([...this.subscriptions.values()], tree);
      case 'ListSubscriptionsByTopic': {
        const topic = this.topic(required(tree, 'TopicArn'));
        return this.listSubscriptions(
          [...this.subscriptions.values()].filter((subscription) => subscription.topicArn === topic.arn),
          tree,
        );
      }
      case 'GetSubscriptionAttributes':
        return xmlRaw(
          'Attributes',
          entries(this.subscriptionAttributes(this.subscription(required(tree, 'SubscriptionArn')))),
        );
      case 'SetSubscriptionAttributes': {
        const subscription = this.subscription(required(tree, 'SubscriptionArn'));
        const name = required(tree, 'AttributeName');
        const attributes = { ...subscription.attributes, [name]: queryString(tree, 'AttributeValue') ?? '' };
        subscription.attributes = checkSubscriptionAttributes(attributes, subscription.protocol);
        this.snapshot.changed();
        return '';
      }
      case 'Publish': {
        const topicArn = queryString(tree, 'TopicArn') ?? queryString(tree, 'TargetArn');
        if (topicArn === undefined) {
          if (queryString(tree, 'PhoneNumber') !== undefined)
            throw invalidParameter('PhoneNumber: the local SNS sends no SMS; publish to a topic');
          throw invalidParameter('TopicArn or TargetArn Reason: no value for required parameter');
        }
        const result = this.publishOne(topicArn, publishInput(tree));
        return xml('MessageId', result.MessageId) + xml('SequenceNumber', result.SequenceNumber);
      }
      case 'PublishBatch':
        return this.publishBatch(tree);
      case 'ListTagsForResource': {
        const topic = this.topic(required(tree, 'ResourceArn'));
        return xmlRaw(
          'Tags',
          Object.entries(topic.tags)
            .map(([key, value]) => xmlRaw('member', xml('Key', key) + xml('Value', value)))
            .join(''),
        );
      }
      case 'TagResource': {
        const topic = this.topic(required(tree, 'ResourceArn'));
        topic.tags = { ...topic.tags, ...tags(tree) };
        this.snapshot.changed();
        return '';
      }
      default:
        throw new SnsError(
          'InvalidAction',
          `The local SNS does not serve ${action}; it serves CreateTopic, ListTopics, Get/SetTopicAttributes, DeleteTopic, Subscribe, Unsubscribe, ListSubscriptions(ByTopic), Get/SetSubscriptionAttributes, Publish, PublishBatch, ListTagsForResource, TagResource`,
        );
    }
  }

  private topic(arn: string): Topic {
    const topic = this.topics.get(arn);
    if (topic === undefined) throw new SnsError('NotFound', `Topic does not exist: ${arn}`, 404);
    return topic;
  }

  private subscription(arn: string): Subscription {
    const subscription = this.subscriptions.get(arn);
    if (subscription === undefined)
      throw new SnsError('NotFound', `Subscription does not exist: ${arn}`, 404);
    return subscription;
  }

  private createTopic(tree: QueryNode): string {
    const name = required(tree, 'Name');
    const fifo = name.endsWith('.fifo');
    if (!/^[a-zA-Z0-9_-]{1,256}$/.test(fifo ? name.slice(0, -5) : name) || name.length > 256)
      throw invalidParameter(
        `Topic Name '${name}': names are 1 to 256 alphanumeric characters, hyphens and underscores (.fifo for a FIFO topic)`,
      );
    const given = stringMap(tree, 'Attributes');
    if (given.FifoTopic === 'true' && !fifo)
      throw invalidParameter('Topic Name: a FIFO topic name must end with .fifo');
    const attributes = checkTopicAttributes(given, fifo);
    const arn = localArn('sns', this.region, name);
    const existing = this.topics.get(arn);
    if (existing !== undefined) {
      if (Object.entries(attributes).some(([key, value]) => existing.attributes[key] !== value))
        throw invalidParameter(`Attributes Reason: Topic ${name} already exists with different attributes`);
      return arn;
    }
    this.topics.set(arn, {
      name,
      arn,
      fifo,
      attributes: {
        ...(fifo ? { FifoTopic: 'true', ContentBasedDeduplication: 'false' } : {}),
        ...attributes,
      },
      tags: tags(tree),
      dedup: {},
    });
    this.snapshot.changed();
    return arn;
  }

  private listTopics(tree: QueryNode): string {
    const arns = [...this.topics.keys()].sort();
    const start = Number(queryString(tree, 'NextToken') ?? 0);
    const page = arns.slice(start, start + 100);
    return (
      xmlRaw('Topics', page.map((arn) => xmlRaw('member', xml('TopicArn', arn))).join('')) +
      (start + 100 < arns.length ? xml('NextToken', String(start + 100)) : '')
    );
  }

  private topicAttributes(topic: Topic): Record<string, string> {
    const subscribed = [...this.subscriptions.values()].filter((s) => s.topicArn === topic.arn).length;
    return {
      TopicArn: topic.arn,
      Owner: LOCAL_ACCOUNT,
      DisplayName: '',
      SubscriptionsConfirmed: String(subscribed),
      SubscriptionsPending: '0',
      SubscriptionsDeleted: '0',
      ...topic.attributes,
    };
  }

  private subscribe(tree: QueryNode): string {
    const topic = this.topic(required(tree, 'TopicArn'));
    const protocol = required(tree, 'Protocol');
    if (!PROTOCOLS.has(protocol))
      throw invalidParameter(
        `Protocol '${protocol}': the local SNS delivers to sqs, lambda, email and email-json subscriptions`,
      );
    const endpoint = queryString(tree, 'Endpoint');
    if (endpoint === undefined || endpoint === '')
      throw invalidParameter('Endpoint Reason: no value for required parameter');
    const service = parseArn(endpoint)?.service;
    if ((protocol === 'sqs' || protocol === 'lambda') && service !== protocol)
      throw invalidParameter(
        `SQS endpoint ARN '${endpoint}': a ${protocol} subscription's endpoint is a ${protocol} ARN`,
      );
    if (protocol.startsWith('email') && !/^[^@\s]+@[^@\s]+$/.test(endpoint))
      throw invalidParameter(`Email address '${endpoint}'`);
    const attributes = checkSubscriptionAttributes(stringMap(tree, 'Attributes'), protocol);
    const existing = [...this.subscriptions.values()].find(
      (s) => s.topicArn === topic.arn && s.protocol === protocol && s.endpoint === endpoint,
    );
    if (existing !== undefined) {
      if (Object.entries(attributes).some(([key, value]) => existing.attributes[key] !== value))
        throw invalidParameter('Attributes Reason: Subscription already exists with different attributes');
      return existing.arn;
    }
    const arn = `${topic.arn}:${randomUUID()}`;
    this.subscriptions.set(arn, { arn, topicArn: topic.arn, protocol, endpoint, attributes });
    this.snapshot.changed();
    return arn;
  }

  private listSubscriptions(subscriptions: readonly Subscription[], tree: QueryNode): string {
    const sorted = [...subscriptions].sort((a, b) => a.arn.localeCompare(b.arn));
    const start = Number(queryString(tree, 'NextToken') ?? 0);
    const page = sorted.slice(start, start + 100);
    const members = page.map((s) =>
      xmlRaw(
        'member',
        xml('SubscriptionArn', s.arn) +
          xml('Owner', LOCAL_ACCOUNT) +
          xml('Protocol', s.protocol) +
          xml('Endpoint', s.endpoint) +
          xml('TopicArn', s.topicArn),
      ),
    );
    return (
      xmlRaw('Subscriptions', members.join('')) +
      (start + 100 < sorted.length ? xml('NextToken', String(start + 100)) : '')
    );
  }

  private subscriptionAttributes(subscription: Subscription): Record<string, string> {
    return {
      SubscriptionArn: subscription.arn,
      TopicArn: subscription.topicArn,
      Protocol: subscription.protocol,
      Endpoint: subscription.endpoint,
      Owner: LOCAL_ACCOUNT,
      ConfirmationWasAuthenticated: 'true',
      PendingConfirmation: 'false',
      RawMessageDelivery: 'false',
      ...subscription.attributes,
    };
  }

  private publishBatch(tree: QueryNode): string {
    const topicArn = required(tree, 'TopicArn');
    this.topic(topicArn);
    const entries = queryList(
      typeof tree === 'string' ? undefined : tree.PublishBatchRequestEntries,
      'member',
    );
    if (entries.length === 0)
      throw new SnsError('EmptyBatchRequest', 'The batch request does not contain any entries');
    if (entries.length > 10)
      throw new SnsError(
        'TooManyEntriesInBatchRequest',
        `The batch request contains more than 10 entries: ${entries.length}`,
      );
    const ids = new Set<string>();
    const successful: string[] = [];
    const failed: string[] = [];
    for (const entry of entries) {
      const id = queryString(entry, 'Id') ?? '';
      if (!/^[a-zA-Z0-9_-]{1,80}$/.test(id))
        throw new SnsError(
          'InvalidBatchEntryId',
          `The Id of a batch entry in a batch request doesn't abide by the specification: '${id}'`,
        );
      if (ids.has(id))
        throw new SnsError('BatchEntryIdsNotDistinct', `Two or more batch entries have the Id ${id}`);
      ids.add(id);
      try {
        const result = this.publishOne(topicArn, publishInput(entry));
        successful.push(
          xmlRaw(
            'member',
            xml('Id', id) + xml('MessageId', result.MessageId) + xml('SequenceNumber', result.SequenceNumber),
          ),
        );
      } catch (error) {
        if (!(error instanceof SnsError)) throw error;
        failed.push(
          xmlRaw(
            'member',
            xml('Id', id) +
              xml('Code', error.code) +
              xml('Message', error.message) +
              xml('SenderFault', true),
          ),
        );
      }
    }
    return xmlRaw('Successful', successful.join('')) + xmlRaw('Failed', failed.join(''));
  }

  private publishOne(topicArn: string, input: PublishInput): { MessageId: string; SequenceNumber?: string } {
    const topic = this.topic(topicArn);
    if (input.message === '') throw invalidParameter('Message Reason: Empty message');
    if (Buffer.byteLength(input.message) > MAX_MESSAGE_BYTES)
      throw invalidParameter(`Message too long: over ${MAX_MESSAGE_BYTES} bytes`);
    if (input.subject !== undefined && (input.subject.length > 100 || /[\r\n]/.test(input.subject)))
      throw invalidParameter('Subject: at most 100 characters on one line');
    checkMessageAttributes(input.attributes);
    const structured = messageStructure(input);
    const now = this.now();
    let dedupId: string | undefined;
    let sequenceNumber: string | undefined;
    if (topic.fifo) {
      if (input.groupId === undefined || input.groupId === '')
        throw invalidParameter('The MessageGroupId parameter is required for FIFO topics');
      dedupId = input.dedupId;
      if (dedupId === undefined) {
        if (topic.attributes.ContentBasedDeduplication !== 'true')
          throw invalidParameter(
            'The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
          );
        dedupId = createHash('sha256').update(input.message).digest('hex');
      }
      for (const [id, seen] of Object.entries(topic.dedup))
        if (seen.at + DEDUP_WINDOW_MS <= now) delete topic.dedup[id];
      const seen = topic.dedup[dedupId];
      if (seen !== undefined) return { MessageId: seen.messageId, SequenceNumber: seen.sequenceNumber };
      this.sequence += 1n;
      sequenceNumber = this.sequence.toString().padStart(20, '0');
    }
    const messageId = randomUUID();
    if (dedupId !== undefined && sequenceNumber !== undefined) {
      topic.dedup[dedupId] = { messageId, sequenceNumber, at: now };
      this.snapshot.changed();
    }
    const published: Published = {
      messageId,
      topicArn: topic.arn,
      timestamp: new Date(now).toISOString(),
      input,
      structured,
      ...(dedupId === undefined ? {} : { dedupId }),
      ...(sequenceNumber === undefined ? {} : { sequenceNumber }),
    };
    for (const subscription of this.subscriptions.values()) {
      if (subscription.topicArn !== topic.arn || !this.accepts(subscription, input)) continue;
      this.deliver(subscription, published);
    }
    return {
      MessageId: messageId,
      ...(sequenceNumber === undefined ? {} : { SequenceNumber: sequenceNumber }),
    };
  }

  private accepts(subscription: Subscription, input: PublishInput): boolean {
    const policy = subscription.attributes.FilterPolicy;
    if (policy === undefined || policy === '') return true;
    const scope = (subscription.attributes.FilterPolicyScope ?? 'MessageAttributes') as FilterPolicyScope;
    const key = `${scope}\u0000${policy}`;
    let match = this.policies.get(key);
    if (match === undefined) {
      match = compileFilterPolicy(policy, scope);
      this.policies.set(key, match);
    }
    return match({ attributes: input.attributes, body: input.message });
  }

  private deliver(subscription: Subscription, published: Published): void {
    const text =
      published.structured?.[subscription.protocol] ??
      published.structured?.default ??
      published.input.message;
    const raw = subscription.attributes.RawMessageDelivery === 'true';
    const failed = (error: unknown): void =>
      this.log.error('SNS delivery failed', {
        subscriptionArn: subscription.arn,
        endpoint: subscription.endpoint,
        messageId: published.messageId,
        error: error instanceof Error ? error.message : String(error),
      });
    try {
      switch (subscription.protocol) {
        case 'sqs': {
          const fifoQueue = subscription.endpoint.endsWith('.fifo');
          this.sqs.queues.sendToArn(subscription.endpoint, {
            body: raw ? text : JSON.stringify(this.envelope(subscription, published, text)),
            ...(raw ? { attributes: published.input.attributes } : {}),
            ...(fifoQueue && published.input.groupId !== undefined
              ? { groupId: published.input.groupId }
              : {}),
            ...(fifoQueue ? { dedupId: published.dedupId ?? published.messageId } : {}),
          });
          return;
        }
        case 'email':
        case 'email-json': {
          const notification: EmailNotification = {
            messageId: published.messageId,
            at: published.timestamp,
            to: subscription.endpoint,
            protocol: subscription.protocol,
            topicArn: published.topicArn,
            subscriptionArn: subscription.arn,
            subject: published.input.subject ?? 'AWS Notification Message',
            body:
              subscription.protocol === 'email'
                ? text
                : JSON.stringify(this.envelope(subscription, published, text)),
          };
          this.inbox.add(notification);
          this.onEmail(notification);
          return;
        }
        case 'lambda': {
          const lambda = this.lambda;
          if (lambda === undefined)
            throw new Error('the SNS emulator is not registered in a stack, so it reaches no Lambda host');
          const envelope = this.envelope(subscription, published, text);
          const event = {
            Records: [
              {
                EventSource: 'aws:sns',
                EventVersion: '1.0',
                EventSubscriptionArn: subscription.arn,
                Sns: {
                  Type: envelope.Type,
                  MessageId: envelope.MessageId,
                  TopicArn: envelope.TopicArn,
                  Subject: envelope.Subject ?? null,
                  Message: envelope.Message,
                  Timestamp: envelope.Timestamp,
                  SignatureVersion: envelope.SignatureVersion,
                  Signature: envelope.Signature,
                  SigningCertUrl: envelope.SigningCertURL,
                  UnsubscribeUrl: envelope.UnsubscribeURL,
                  MessageAttributes: envelope.MessageAttributes ?? {},
                },
              },
            ],
          };
          const invocation = lambda
            .send(
              new InvokeCommand({
                FunctionName: subscription.endpoint,
                InvocationType: 'Event',
                Payload: Buffer.from(JSON.stringify(event)),
              }),
            )
            .then(() => undefined, failed);
          this.pending.add(invocation);
          void invocation.finally(() => this.pending.delete(invocation));
          return;
        }
        default:
          throw new Error(`no delivery for protocol ${subscription.protocol}`);
      }
    } catch (error) {
      failed(error);
    }
  }

  /** The JSON notification SNS delivers to queues and `email-json` (and, reshaped, to Lambda). */
  private envelope(subscription: Subscription, published: Published, text: string) {
    const attributes = Object.entries(published.input.attributes);
    return {
      Type: 'Notification',
      MessageId: published.messageId,
      ...(published.sequenceNumber === undefined ? {} : { SequenceNumber: published.sequenceNumber }),
      TopicArn: published.topicArn,
      ...(published.input.subject === undefined ? {} : { Subject: published.input.subject }),
      Message: text,
      Timestamp: published.timestamp,
      SignatureVersion: '1',
      Signature: Buffer.from(`local:${published.messageId}`).toString('base64'),
      SigningCertURL: `${this.endpoint}/_local/sns/SimpleNotificationService.pem`,
      UnsubscribeURL: `${this.endpoint}/?Action=Unsubscribe&SubscriptionArn=${encodeURIComponent(subscription.arn)}`,
      ...(attributes.length === 0
        ? {}
        : {
            MessageAttributes: Object.fromEntries(
              attributes.map(([name, value]) => [
                name,
                { Type: value.DataType, Value: value.StringValue ?? value.BinaryValue ?? '' },
              ]),
            ),
          }),
    };
  }
}

/** A publish on its way to the subscriptions. */
interface Published {
  readonly messageId: string;
  readonly topicArn: string;
  readonly timestamp: string;
  readonly input: PublishInput;
  /** With `MessageStructure: json`, the message for each protocol (`default` for the rest). */
  readonly structured: Readonly<Record<string, string>> | undefined;
  readonly dedupId?: string;
  readonly sequenceNumber?: string;
}

function required(tree: QueryNode, name: string): string {
  const value = queryString(tree, name);
  if (value === undefined || value === '')
    throw invalidParameter(`${name} Reason: no value for required parameter`);
  return value;
}

function stringMap(tree: QueryNode, field: string): Record<string, string> {
  const node = typeof tree === 'string' ? undefined : tree[field];
  const map = queryMap(node, { wrapper: 'entry', key: 'key', value: 'value' });
  return Object.fromEntries(
    Object.entries(map).filter((pair): pair is [string, string] => typeof pair[1] === 'string'),
  );
}

function tags(tree: QueryNode): Record<string, string> {
  const node = typeof tree === 'string' ? undefined : tree.Tags;
  const out: Record<string, string> = {};
  for (const member of queryList(node, 'member')) {
    const key = queryString(member, 'Key');
    if (key !== undefined) out[key] = queryString(member, 'Value') ?? '';
  }
  return out;
}

function entries(attributes: Readonly<Record<string, string>>): string {
  return Object.entries(attributes)
    .map(([key, value]) => xmlRaw('entry', xml('key', key) + xml('value', value)))
    .join('');
}

function checkTopicAttributes(
  given: Readonly<Record<string, string>>,
  fifo: boolean,
): Record<string, string> {
  for (const [name, value] of Object.entries(given)) {
    if (!TOPIC_ATTRIBUTES.has(name)) throw invalidParameter(`AttributeName: unknown topic attribute ${name}`);
    if (name === 'FifoTopic' && value !== String(fifo))
      throw invalidParameter(
        'Attributes Reason: FifoTopic must match the name (a FIFO topic name ends with .fifo)',
      );
    if (name === 'ContentBasedDeduplication' && !fifo)
      throw invalidParameter('Attributes Reason: ContentBasedDeduplication is only for FIFO topics');
  }
  return { ...given };
}

function checkSubscriptionAttributes(
  given: Readonly<Record<string, string>>,
  protocol: string,
): Record<string, string> {
  for (const [name, value] of Object.entries(given)) {
    if (!SUBSCRIPTION_ATTRIBUTES.has(name))
      throw invalidParameter(`AttributeName: unknown subscription attribute ${name}`);
    if (name === 'RawMessageDelivery') {
      if (value !== 'true' && value !== 'false')
        throw invalidParameter('Attributes Reason: RawMessageDelivery: true or false');
      if (value === 'true' && protocol !== 'sqs')
        throw invalidParameter(`Attributes Reason: RawMessageDelivery is not for ${protocol} subscriptions`);
    }
    if (name === 'FilterPolicyScope' && value !== 'MessageAttributes' && value !== 'MessageBody')
      throw invalidParameter('Attributes Reason: FilterPolicyScope: MessageAttributes or MessageBody');
  }
  const policy = given.FilterPolicy;
  if (policy !== undefined && policy !== '') {
    try {
      compileFilterPolicy(policy, (given.FilterPolicyScope ?? 'MessageAttributes') as FilterPolicyScope);
    } catch (error) {
      if (error instanceof FilterPolicyError) throw invalidParameter(`FilterPolicy: ${error.message}`);
      throw error;
    }
  }
  return { ...given };
}

function publishInput(tree: QueryNode): PublishInput {
  const node = typeof tree === 'string' ? undefined : tree.MessageAttributes;
  const attributes: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(
    queryMap(node, { wrapper: 'entry', key: 'Name', value: 'Value' }),
  )) {
    const dataType = queryString(value, 'DataType');
    if (dataType === undefined)
      throw invalidParameter(`MessageAttributes: the attribute '${name}' has no DataType`);
    const stringValue = queryString(value, 'StringValue');
    const binaryValue = queryString(value, 'BinaryValue');
    attributes[name] = {
      DataType: dataType,
      ...(stringValue === undefined ? {} : { StringValue: stringValue }),
      ...(binaryValue === undefined ? {} : { BinaryValue: binaryValue }),
    };
  }
  const optional = (name: string, key: string): Record<string, string> => {
    const value = queryString(tree, name);
    return value === undefined ? {} : { [key]: value };
  };
  return {
    message: queryString(tree, 'Message') ?? '',
    attributes,
    ...optional('Subject', 'subject'),
    ...optional('MessageStructure', 'structure'),
    ...optional('MessageGroupId', 'groupId'),
    ...optional('MessageDeduplicationId', 'dedupId'),
  };
}

function checkMessageAttributes(attributes: Readonly<Record<string, MessageAttributeValue>>): void {
  for (const [name, value] of Object.entries(attributes)) {
    if (!/^(String|Number|Binary)(\..+)?$/.test(value.DataType))
      throw new SnsError(
        'ParameterValueInvalid',
        `The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`,
      );
    if (
      value.DataType.startsWith('Binary') ? value.BinaryValue === undefined : value.StringValue === undefined
    )
      throw new SnsError(
        'ParameterValueInvalid',
        `The message attribute '${name}' must contain non-empty message attribute value.`,
      );
    if (value.DataType === 'Number' && !Number.isFinite(Number(value.StringValue)))
      throw new SnsError(
        'ParameterValueInvalid',
        `Could not cast message attribute '${name}' value to number.`,
      );
    if (value.DataType === 'String.Array') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(value.StringValue ?? '');
      } catch {
        parsed = undefined;
      }
      if (!Array.isArray(parsed))
        throw new SnsError(
          'ParameterValueInvalid',
          `The message attribute '${name}' is not a JSON array (String.Array).`,
        );
    }
  }
}

/** `MessageStructure: json`: the message is a JSON object of per-protocol messages with a `default`. */
function messageStructure(input: PublishInput): Record<string, string> | undefined {
  if (input.structure === undefined) return undefined;
  if (input.structure !== 'json')
    throw invalidParameter(`MessageStructure '${input.structure}': only json is defined`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(input.message);
  } catch {
    throw invalidParameter('Message Structure - JSON message body failed to parse');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw invalidParameter('Message Structure - the message is not a JSON object');
  const messages = parsed as Record<string, unknown>;
  if (typeof messages.default !== 'string')
    throw invalidParameter('Message Structure - No default entry in JSON message body');
  return Object.fromEntries(
    Object.entries(messages).filter((pair): pair is [string, string] => typeof pair[1] === 'string'),
  );
}
