/**
 * The local messaging services, built together because they deliver to each other in-process: SNS
 * subscriptions and EventBridge targets reach the queues of this SQS and the topics of this SNS, and the
 * other services (Lambda, Kinesis) through the edge, once the stack has attached them.
 */
import { join } from 'node:path';
import { createEventBridgeEmulator, type EventBridgeEmulator } from './events/index.ts';
import type { HostLog } from './lambda/index.ts';
import { createSnsEmulator, type EmailNotification, type SnsEmulator } from './sns/index.ts';
import { createSqsEmulator, type SqsEmulator } from './sqs/index.ts';

/** Options of {@link createMessagingServices}. */
export interface MessagingOptions {
  /** Keeps queues, topics, subscriptions, rules and the email inbox under `DIR/sqs`, `DIR/sns`, `DIR/events`. */
  readonly dataDir?: string;
  /** Told of every email notification SNS delivers (the CLI prints them). */
  readonly onEmail?: (notification: EmailNotification) => void;
  readonly log?: HostLog;
}

/** SQS, SNS and EventBridge, wired to each other. */
export interface MessagingServices {
  readonly sqs: SqsEmulator;
  readonly sns: SnsEmulator;
  readonly events: EventBridgeEmulator;
}

/**
 * Builds the three emulations; register all of them in the stack.
 *
 * @example
 * const { sqs, sns, events } = createMessagingServices();
 * const stack = await startLocalStack({ port: 0, services: [sqs, sns, events] });
 */
export function createMessagingServices(options: MessagingOptions = {}): MessagingServices {
  const log = options.log === undefined ? {} : { log: options.log };
  const under = (name: string) =>
    options.dataDir === undefined ? {} : { dataDir: join(options.dataDir, name) };
  const sqs = createSqsEmulator({ ...log, ...under('sqs') });
  const sns = createSnsEmulator({
    sqs,
    ...log,
    ...under('sns'),
    ...(options.onEmail === undefined ? {} : { onEmail: options.onEmail }),
  });
  const events = createEventBridgeEmulator({ sqs, sns, ...log, ...under('events') });
  return { sqs, sns, events };
}
