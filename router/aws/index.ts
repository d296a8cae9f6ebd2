/** The aws folder's surface: what the rest of the runtime imports from it. */

export type { AwsEnvironment } from './clients.ts';
export {
  awsEnvironmentFromEnv,
  clientConfig,
  dynamoDbClient,
  dynamoDbDocumentClient,
  isLocalEndpoint,
  kinesisClient,
  lambdaClient,
  MARSHALL_OPTIONS,
  redshiftDataClient,
  s3Client,
} from './clients.ts';
export { quietSdkNodeVersionWarning } from './sdkWarning.ts';
