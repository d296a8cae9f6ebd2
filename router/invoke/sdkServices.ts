/**
 * How a Step Functions SDK-integration service name (`redshiftdata` in
 * `arn:aws:states:::aws-sdk:redshiftdata:executeStatement`) maps to its AWS SDK v3 package, its IAM action
 * prefix and the prefix of its error names. The invoker loads packages and names errors from it; the CDK
 * app derives IAM statements from it; one table keeps them in step.
 */

/** What one service name stands for. */
export interface SdkService {
  /** `@aws-sdk/client-redshift-data` */
  readonly packageName: string;
  /** `redshift-data` (as in `redshift-data:ExecuteStatement`) */
  readonly iamPrefix: string;
  /** `RedshiftData` (as in `RedshiftData.ValidationException`) */
  readonly errorPrefix: string;
}

/** Services whose package, IAM prefix or error prefix is not simply derived from the name. */
const KNOWN: Readonly<Record<string, Partial<SdkService>>> = {
  redshiftdata: { packageName: 'redshift-data', iamPrefix: 'redshift-data', errorPrefix: 'RedshiftData' },
  dynamodb: { errorPrefix: 'DynamoDb' },
  s3: { errorPrefix: 'S3' },
  sfn: { iamPrefix: 'states' },
  eventbridge: { iamPrefix: 'events', errorPrefix: 'EventBridge' },
  cloudwatchlogs: { packageName: 'cloudwatch-logs', iamPrefix: 'logs', errorPrefix: 'CloudWatchLogs' },
  secretsmanager: { packageName: 'secrets-manager', errorPrefix: 'SecretsManager' },
  apigateway: { packageName: 'api-gateway', errorPrefix: 'ApiGateway' },
  bedrockruntime: { packageName: 'bedrock-runtime', iamPrefix: 'bedrock', errorPrefix: 'BedrockRuntime' },
  emr: { iamPrefix: 'elasticmapreduce', errorPrefix: 'Emr' },
};

/** The package, IAM prefix and error prefix of a service name from a resource ARN. */
export function sdkService(service: string): SdkService {
  const known = KNOWN[service] ?? {};
  return {
    packageName: `@aws-sdk/client-${known.packageName ?? service}`,
    iamPrefix: known.iamPrefix ?? service,
    errorPrefix: known.errorPrefix ?? `${service.charAt(0).toUpperCase()}${service.slice(1)}`,
  };
}
