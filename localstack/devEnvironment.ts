/**
 * The developer's environment, started the same way by `npm run localstack:up` and `npm start`: the
 * embedded stack (on a data directory or in memory), the step functions of `handlers/` reaching that
 * stack, the runtime's resources bootstrapped (idempotently, so a restart on kept data finds them), the
 * router running on the stream with its sweep, and with the services seed 000's listing API (its HTTP
 * source) and the local scheduler running the catalog's scheduled steps.
 */
import { resolve } from 'node:path';
import { STEP_FUNCTIONS } from '../handlers/catalog.ts';
import { type ResourceNames, resourceNamesFromEnv } from '../router/config.ts';
import { bootstrap } from './bootstrap.ts';
import type { HostLog } from './lambda/index.ts';
import { type LocalRouter, type LocalRouterOptions, startLocalRouter } from './localRouter.ts';
import { type LocalScheduler, type ScheduledRun, startLocalScheduler } from './scheduler/index.ts';
import { defaultServices } from './services.ts';
import type { EmailNotification } from './sns/index.ts';
import { type ListingApi, startListingApi } from './sources/index.ts';
import { type KinesisEngine, type LocalStack, startLocalStack } from './stack.ts';

/** The repository root: defaults for data and logs live under its `.local/` (ignored by git). */
export const REPOSITORY_ROOT = resolve(import.meta.dirname, '..');

/** Where `npm run localstack:up` keeps its data unless told otherwise. */
export const DEFAULT_DATA_DIR = resolve(REPOSITORY_ROOT, '.local', 'stack');

/**
 * Router settings a laptop wants that a deployment does not: applied only where the environment leaves
 * them unset, so `ROUTER_*` variables mean the same locally and deployed. A one-second alias cache makes
 * a publish visible to the router at once.
 */
export const LOCAL_ROUTER_DEFAULTS: Readonly<Record<string, string>> = { ROUTER_ALIAS_TTL_MS: '1000' };

/** Options of {@link startDevEnvironment}. */
export interface DevEnvironmentOptions {
  readonly port: number;
  readonly host?: string;
  readonly kinesis?: KinesisEngine;
  /** Shards of the stream when it is created (an existing stream keeps its own). */
  readonly shards: number;
  /** Serve the Lambda host, Redshift Data, SQS, SNS and EventBridge (otherwise Kinesis, DynamoDB and S3 only). */
  readonly services: boolean;
  /** Keep the data here across restarts; undefined = in memory. */
  readonly dataDir?: string;
  /** Run the router on the stream; undefined = no router. */
  readonly router?: Pick<LocalRouterOptions, 'logger' | 'metrics' | 'onSummary' | 'onError'>;
  /** `ROUTER_*` defaults beyond {@link LOCAL_ROUTER_DEFAULTS}, also only where unset. */
  readonly routerDefaults?: Readonly<Record<string, string>>;
  /** The environment to read settings from and to give the hosted steps; default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** One line per notable step (stack up, resource created or found). */
  readonly log?: (line: string) => void;
  /** Where the Lambda host and Redshift Data log. */
  readonly hostLog?: HostLog;
  /** Told of every email notification the local SNS delivers (the CLI prints one line for each). */
  readonly onEmail?: (notification: EmailNotification) => void;
  /** Told of every timed run of a scheduled step function. */
  readonly onScheduledRun?: (run: ScheduledRun) => void;
}

/** A running environment. */
export interface DevEnvironment {
  readonly stack: LocalStack;
  readonly names: ResourceNames;
  /** The router on the stream, when asked for. */
  readonly router?: LocalRouter;
  /** With the services: the catalog's scheduled step functions (EventBridge Scheduler's stand-in). */
  readonly scheduler?: LocalScheduler;
  /** With the services: seed 000's HTTP source, the listing API (`base_url` of `http-json` sources). */
  readonly listingApi?: ListingApi;
  /** Stops the router (its batch in flight settles and is checkpointed), then the stack. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts everything, in order: stack, the steps' environment, bootstrap, router. On failure, whatever
 * started is stopped again before the error is thrown.
 *
 * @example
 * const dev = await startDevEnvironment({ port: 4566, shards: 2, services: true, dataDir: '.local/stack',
 *   router: { logger } });
 * // ...
 * await dev.stop();
 */
export async function startDevEnvironment(options: DevEnvironmentOptions): Promise<DevEnvironment> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  const stack = await startLocalStack({
    port: options.port,
    ...(options.host === undefined ? {} : { host: options.host }),
    ...(options.kinesis === undefined ? {} : { kinesis: options.kinesis }),
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    services: options.services
      ? defaultServices({
          ...(options.hostLog === undefined ? {} : { log: options.hostLog }),
          ...(options.onEmail === undefined ? {} : { onEmail: options.onEmail }),
          ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
        })
      : [],
    log,
  });
  let router: LocalRouter | undefined;
  let listingApi: ListingApi | undefined;
  let scheduler: LocalScheduler | undefined;
  try {
    // The hosted step functions run in this process and build their AWS clients from its environment,
    // as a Lambda function does from the variables Lambda sets: they must reach this stack.
    Object.assign(env, stack.env);
    for (const [name, value] of Object.entries({ ...LOCAL_ROUTER_DEFAULTS, ...options.routerDefaults })) {
      if (env[name] === undefined || env[name] === '') env[name] = value;
    }
    const names = resourceNamesFromEnv(env);
    await bootstrap({
      aws: stack.aws,
      names,
      shards: options.shards,
      local: true,
      log: (line) => log(`bootstrap: ${line}`),
    });
    // Faults from LOCALSTACK_FAULTS start now: the resources exist.
    if (stack.faults.active) {
      stack.faults.enable();
      log(
        `faults: injecting ${JSON.stringify(stack.faults.plan)} (GET ${stack.endpoint}/_localstack/faults)`,
      );
    }
    if (options.services) {
      listingApi = await startListingApi({ ...(options.host === undefined ? {} : { host: options.host }) });
      log(`listing API (seed 000's http-json source): ${listingApi.url}/v1/listings`);
      scheduler = startLocalScheduler({
        aws: stack.aws,
        catalog: STEP_FUNCTIONS,
        ...(options.onScheduledRun === undefined ? {} : { onRun: options.onScheduledRun }),
      });
    }
    if (options.router !== undefined) {
      router = await startLocalRouter({ aws: stack.aws, env, ...options.router });
    }
    let stopping: Promise<void> | undefined;
    const running = router;
    const api = listingApi;
    const timers = scheduler;
    return {
      stack,
      names,
      ...(running === undefined ? {} : { router: running }),
      ...(timers === undefined ? {} : { scheduler: timers }),
      ...(api === undefined ? {} : { listingApi: api }),
      stop() {
        stopping ??= (async () => {
          try {
            timers?.stop();
            await running?.stop();
            await api?.stop();
          } finally {
            await stack.stop();
          }
        })();
        return stopping;
      },
    };
  } catch (error) {
    scheduler?.stop();
    await router?.stop();
    await listingApi?.stop();
    await stack.stop();
    throw error;
  }
}
