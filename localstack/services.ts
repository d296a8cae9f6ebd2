/**
 * The in-process service emulations `npm run localstack:up` serves by default, in one place, so the CLI,
 * the demo and the benchmarks get the same set: the Lambda Invoke host (serving the step functions of
 * `handlers/catalog.ts`), the Redshift Data API over PGlite, SQS, SNS and EventBridge, and Secrets Manager.
 */
import { join } from 'node:path';
import { createLambdaHost, type HostLog } from './lambda/index.ts';
import { createMessagingServices } from './messaging.ts';
import { createRedshiftDataEmulator } from './redshift/index.ts';
import { createSecretsManagerEmulator } from './secretsmanager/index.ts';
import type { ServiceEmulator } from './service.ts';
import type { EmailNotification } from './sns/index.ts';

/** Options of {@link defaultServices}. */
export interface DefaultServicesOptions {
  /** Where the emulations log; default: JSON lines on the console. */
  readonly log?: HostLog;
  /**
   * Start PGlite now, in the background (about 3.5 s), instead of on the first statement. Default true:
   * a developer's stack should answer the first Redshift query without the wait.
   */
  readonly startDatabaseNow?: boolean;
  /**
   * Keeps the Redshift database in `DIR/redshift`, the queues, topics and rules in `DIR/sqs`, `DIR/sns`,
   * `DIR/events` and the secrets in `DIR/secretsmanager` (the stack's data directory); default in memory.
   */
  readonly dataDir?: string;
  /** Told of every email notification SNS delivers to the local inbox. */
  readonly onEmail?: (notification: EmailNotification) => void;
}

/** Builds a fresh set of emulations; each stack owns (and closes) its own. */
export function defaultServices(options: DefaultServicesOptions = {}): ServiceEmulator[] {
  const log = options.log === undefined ? {} : { log: options.log };
  const { sqs, sns, events } = createMessagingServices({
    ...log,
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    ...(options.onEmail === undefined ? {} : { onEmail: options.onEmail }),
  });
  return [
    createLambdaHost(log),
    createRedshiftDataEmulator({
      ...log,
      startNow: options.startDatabaseNow ?? true,
      ...(options.dataDir === undefined ? {} : { dataDir: join(options.dataDir, 'redshift') }),
    }),
    sqs,
    sns,
    events,
    createSecretsManagerEmulator({
      ...log,
      ...(options.dataDir === undefined ? {} : { dataDir: join(options.dataDir, 'secretsmanager') }),
    }),
  ];
}
