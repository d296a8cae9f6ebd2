/**
 * Every AWS SDK v3 client the runtime, the CLI, the local stack and the tests use is built here, from
 * the environment, so that one variable (`AWS_ENDPOINT_URL`) moves all of them between the embedded
 * stack, a real LocalStack and AWS. Emulator quirks are applied only when the endpoint is local.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { marshallOptions } from '@aws-sdk/util-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** Where and as whom the clients talk; every field defaults from the environment. */
export interface AwsEnvironment {
  /** Endpoint for every service, e.g. `http://127.0.0.1:4566`; absent means real AWS. */
  readonly endpoint?: string;
  readonly region: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/** Reads the AWS environment the way the SDK would, plus the single edge endpoint. */
export function awsEnvironmentFromEnv(env: NodeJS.ProcessEnv = process.env): AwsEnvironment {
  const endpoint = env.AWS_ENDPOINT_URL;
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const base: AwsEnvironment = endpoint === undefined || endpoint === '' ? { region } : { region, endpoint };
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return {
      ...base,
      credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
    };
  }
  if (base.endpoint !== undefined && isLocalEndpoint(base.endpoint)) {
    // Emulators accept any signature; fixed keys keep a laptop without AWS credentials working.
    return { ...base, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
  }
  return base;
}

/** True for loopback endpoints, where the emulator-specific settings below apply. */
export function isLocalEndpoint(endpoint: string): boolean {
  try {
    const host = new URL(endpoint).hostname;
    return (
      host === 'localhost' ||
      host === 'localstack' ||
      host.endsWith('.localhost') ||
      host.startsWith('127.') ||
      host === '[::1]' ||
      host === '::1'
    );
  } catch {
    return false;
  }
}

interface BaseClientConfig {
  region: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  maxAttempts?: number;
}

function baseConfig(aws: AwsEnvironment): BaseClientConfig {
  const config: BaseClientConfig = { region: aws.region };
  if (aws.endpoint !== undefined) config.endpoint = aws.endpoint;
  if (aws.credentials !== undefined) config.credentials = { ...aws.credentials };
  return config;
}

function local(aws: AwsEnvironment): boolean {
  return aws.endpoint !== undefined && isLocalEndpoint(aws.endpoint);
}

/**
 * Client configuration for a service (by its Step Functions name: `s3`, `kinesis`, `redshiftdata`, ...):
 * region, endpoint and credentials, plus the emulator quirks when the endpoint is local. Kinesis gets an
 * HTTP/1.1 handler because the SDK's default HTTP/2 handler fails on plain-http emulators; S3 gets
 * path-style addressing and checksums only when required, because s3rver has no virtual-host routing and
 * stores aws-chunked streaming bodies verbatim.
 */
export function clientConfig(aws: AwsEnvironment, service: string): Record<string, unknown> {
  const config: Record<string, unknown> = { ...baseConfig(aws) };
  if (!local(aws)) return config;
  if (service === 'kinesis') config.requestHandler = new NodeHttpHandler({ connectionTimeout: 5_000 });
  if (service === 's3') {
    config.forcePathStyle = true;
    config.requestChecksumCalculation = 'WHEN_REQUIRED';
    config.responseChecksumValidation = 'WHEN_REQUIRED';
  }
  return config;
}

/** Kinesis. */
export function kinesisClient(aws: AwsEnvironment = awsEnvironmentFromEnv()): KinesisClient {
  return new KinesisClient(clientConfig(aws, 'kinesis'));
}

/** DynamoDB, low-level. */
export function dynamoDbClient(aws: AwsEnvironment = awsEnvironmentFromEnv()): DynamoDBClient {
  return new DynamoDBClient(baseConfig(aws));
}

/**
 * How plain values become DynamoDB attribute values: `undefined` fields dropped, class instances refused.
 * The document client marshals with it, and so do the hot batch writes that marshal their items
 * themselves and send the low-level command (`router/executions/`).
 */
export const MARSHALL_OPTIONS: Readonly<marshallOptions> = Object.freeze({
  removeUndefinedValues: true,
  convertClassInstanceToMap: false,
});

/** DynamoDB document client: plain JS values in and out, `undefined` fields dropped. */
export function dynamoDbDocumentClient(
  aws: AwsEnvironment = awsEnvironmentFromEnv(),
): DynamoDBDocumentClient {
  // A copy: the document client writes its own defaults into the options object it is given.
  return DynamoDBDocumentClient.from(dynamoDbClient(aws), { marshallOptions: { ...MARSHALL_OPTIONS } });
}

/** S3. */
export function s3Client(aws: AwsEnvironment = awsEnvironmentFromEnv()): S3Client {
  return new S3Client(clientConfig(aws, 's3'));
}

/** Lambda Invoke. */
export function lambdaClient(aws: AwsEnvironment = awsEnvironmentFromEnv()): LambdaClient {
  return new LambdaClient(baseConfig(aws));
}

/** Redshift Data API (served locally over PGlite). */
export function redshiftDataClient(aws: AwsEnvironment = awsEnvironmentFromEnv()): RedshiftDataClient {
  return new RedshiftDataClient(baseConfig(aws));
}
