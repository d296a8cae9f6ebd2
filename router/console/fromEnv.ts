/**
 * The console's dependencies built from the environment the CLI reads (`AWS_ENDPOINT_URL`, `ROUTER_*`),
 * so it looks at whatever `router` talks to: the local stack or a deployment.
 */
import { awsEnvironmentFromEnv, dynamoDbDocumentClient, kinesisClient } from '../aws/index.ts';
import { executionStoreFromEnv, quarantineStoreFromEnv } from '../cli/index.ts';
import { resourceNamesFromEnv } from '../config.ts';
import { registryFromEnv } from '../registry/index.ts';
import type { ConsoleDeps } from './ConsoleApi.ts';
import type { StreamActivity } from './streamView.ts';

/** The consumer name the local stack's event source mapping keeps its checkpoints under. */
const LOCAL_CONSUMER = 'message-event-router';

/** Builds the console's stores and clients for the deployment `env` names. */
export function consoleDepsFromEnv(env: NodeJS.ProcessEnv, activity?: StreamActivity): ConsoleDeps {
  const aws = awsEnvironmentFromEnv(env);
  const names = resourceNamesFromEnv(env);
  const kinesis = kinesisClient(aws);
  return {
    registry: registryFromEnv(env, aws),
    executions: executionStoreFromEnv(env),
    quarantine: quarantineStoreFromEnv(env),
    kinesis,
    stream: {
      kinesis,
      dynamodb: dynamoDbDocumentClient(aws),
      stream: names.stream,
      checkpointTable: names.esmTable,
      consumerName: env.ROUTER_ESM_CONSUMER || LOCAL_CONSUMER,
      ...(activity === undefined ? {} : { activity }),
      now: Date.now,
    },
    env,
    now: Date.now,
  };
}
