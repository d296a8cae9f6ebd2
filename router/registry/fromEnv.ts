/**
 * The registry as the CLI and the router build it from the environment: the DynamoDB index and the S3
 * graph store of one deployment, and the loader bound to that deployment's allowlist.
 */

import { loadGraph } from '../asl/index.ts';
import {
  type AwsEnvironment,
  awsEnvironmentFromEnv,
  dynamoDbDocumentClient,
  s3Client,
} from '../aws/index.ts';
import { type ResourceNames, resourceNamesFromEnv, routerSettingsFromEnv } from '../config.ts';
import { DynamoDBEngineIndex } from './DynamoDBEngineIndex.ts';
import type { EngineIndex } from './EngineIndex.ts';
import type { GraphLoader } from './EngineResolver.ts';
import { type GraphStore, S3GraphStore } from './GraphStore.ts';
import type { PublishLoader } from './publish.ts';

/** A deployment's registry. */
export interface Registry {
  readonly index: EngineIndex;
  readonly store: GraphStore;
  readonly names: ResourceNames;
  /** Loader for publishing: variables and the allowlist applied. */
  readonly publishLoader: PublishLoader;
  /** Loader for the router: the allowlist applied again at load. */
  readonly graphLoader: GraphLoader;
}

/** Builds the registry for the deployment the environment points at. */
export function registryFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  aws: AwsEnvironment = awsEnvironmentFromEnv(env),
): Registry {
  const names = resourceNamesFromEnv(env);
  const { allowlist } = routerSettingsFromEnv(env);
  return {
    names,
    index: new DynamoDBEngineIndex(dynamoDbDocumentClient(aws), names.enginesTable),
    store: new S3GraphStore(s3Client(aws), names.bucket),
    publishLoader: (source, options) =>
      loadGraph(source, {
        file: options.file,
        allowlist,
        ...(options.variables === undefined ? {} : { variables: options.variables }),
      }),
    graphLoader: (source, options) => loadGraph(source, { file: options.file, allowlist }),
  };
}
