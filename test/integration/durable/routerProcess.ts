/**
 * The router and the event source mapping emulator in a process of their own, for the crash tests: the
 * parent holds the stack (and the step functions, whose effect table must survive), starts this with
 * the stack's environment, kills it with SIGKILL at random moments and starts it again. The mapping
 * keeps its shard checkpoints in DynamoDB, so a new process resumes where the killed one last
 * checkpointed; the sweep runs on idle ticks, so parked and orphaned executions are resumed too.
 *
 * Prints `ready` once polling, then one JSON line per batch (`{"batch":..}`, the batch summary's counts)
 * and per sweep that resumed anything (`{"sweep":..}`), for the parent's tally.
 */
import { startEventSourceMapping } from '../../../localstack/esm/index.ts';
import { awsEnvironmentFromEnv } from '../../../router/aws/clients.ts';
import { resourceNamesFromEnv } from '../../../router/config.ts';
import { routerDepsFromEnv } from '../../../router/deps.ts';
import { MessageEventRouter } from '../../../router/MessageEventRouter.ts';
import { CountingMetrics, silentLogger } from '../../../router/observability/telemetry.ts';

const env = process.env;
const names = resourceNamesFromEnv(env);
const router = new MessageEventRouter(
  routerDepsFromEnv(env, { logger: silentLogger, metrics: new CountingMetrics() }),
);
await startEventSourceMapping({
  stream: names.stream,
  aws: awsEnvironmentFromEnv(env),
  checkpointTable: names.esmTable,
  batchSize: Number(env.CRASH_BATCH_SIZE ?? '100'),
  pollIntervalMs: 20,
  reportBatchItemFailures: true,
  startingPosition: 'TRIM_HORIZON',
  handler: async (event, context) => {
    const summary = await router.processBatch(event, {
      remainingTimeMs: () => context.getRemainingTimeInMillis(),
    });
    const { records, succeeded, waiting, retried, duplicates, quarantined } = summary;
    process.stdout.write(
      `${JSON.stringify({ batch: { records, succeeded, waiting, retried, duplicates, quarantined } })}\n`,
    );
    return { batchItemFailures: summary.failures };
  },
  onIdleTick: async () => {
    const summary = await router.sweep({ limit: 200 });
    if (summary.succeeded + summary.waiting + summary.failed > 0) {
      process.stdout.write(
        `${JSON.stringify({ sweep: { succeeded: summary.succeeded, failed: summary.failed, retried: summary.retried } })}\n`,
      );
    }
  },
  onError: (error) => process.stderr.write(`mapping survived: ${String(error)}\n`),
});
process.stdout.write('ready\n');
