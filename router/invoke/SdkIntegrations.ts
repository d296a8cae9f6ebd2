/**
 * `arn:aws:states:::aws-sdk:SERVICE:ACTION` for the services this build bundles: the action's Parameters
 * become the v3 command's input and its response (less `$metadata`) the task result. Errors are named
 * `Service.ErrorName` as Step Functions names them (`RedshiftData.ValidationException`). Clients are made
 * once per service, on first use, from the deployment's AWS environment.
 */
import * as DynamoDB from '@aws-sdk/client-dynamodb';
import * as Kinesis from '@aws-sdk/client-kinesis';
import * as Lambda from '@aws-sdk/client-lambda';
import * as RedshiftData from '@aws-sdk/client-redshift-data';
import * as S3 from '@aws-sdk/client-s3';
import type { JsonValue } from '../asl/types.ts';
import {
  type AwsEnvironment,
  dynamoDbClient,
  kinesisClient,
  lambdaClient,
  redshiftDataClient,
  s3Client,
} from '../aws/clients.ts';

/** The result of one SDK call. */
export type SdkOutcome =
  | { readonly ok: true; readonly output: unknown }
  | { readonly ok: false; readonly error: string; readonly cause: string };

/** Calls SDK actions by service and action name. */
export interface SdkIntegrations {
  call(service: string, action: string, input: JsonValue, signal: AbortSignal): Promise<SdkOutcome>;
}

interface SendingClient {
  send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}

interface ServiceBinding {
  /** Step Functions' prefix for this service's errors. */
  readonly errorPrefix: string;
  readonly commands: Readonly<Record<string, unknown>>;
  readonly client: (aws: AwsEnvironment) => SendingClient;
}

/** The services bundled with the router, by the name Step Functions uses in the resource ARN. */
const SERVICES: Readonly<Record<string, ServiceBinding>> = {
  redshiftdata: { errorPrefix: 'RedshiftData', commands: RedshiftData, client: redshiftDataClient },
  s3: { errorPrefix: 'S3', commands: S3, client: s3Client },
  dynamodb: { errorPrefix: 'DynamoDb', commands: DynamoDB, client: dynamoDbClient },
  lambda: { errorPrefix: 'Lambda', commands: Lambda, client: lambdaClient },
  kinesis: { errorPrefix: 'Kinesis', commands: Kinesis, client: kinesisClient },
};

/** Service names usable in `aws-sdk:` resources. */
export const SDK_SERVICES: readonly string[] = Object.keys(SERVICES);

type CommandConstructor = new (input: unknown) => unknown;

function isConstructor(value: unknown): value is CommandConstructor {
  return typeof value === 'function';
}

/** Reads a streamed body (S3 GetObject) into a string, as Step Functions returns it. */
async function materialise(output: unknown): Promise<unknown> {
  if (typeof output !== 'object' || output === null || !('Body' in output)) return output;
  const body = output.Body;
  if (typeof body === 'object' && body !== null && 'transformToString' in body) {
    const transform = body.transformToString;
    if (typeof transform === 'function') return { ...output, Body: await transform.call(body) };
  }
  return output;
}

/** SDK integrations over real clients. */
export function createSdkIntegrations(aws: AwsEnvironment): SdkIntegrations {
  const clients = new Map<string, SendingClient>();
  return {
    async call(service, action, input, signal) {
      const binding = SERVICES[service];
      if (binding === undefined) {
        return {
          ok: false,
          error: 'States.Runtime',
          cause: `aws-sdk service '${service}' is not bundled with this router (available: ${SDK_SERVICES.join(', ')})`,
        };
      }
      const commandName = `${action.charAt(0).toUpperCase()}${action.slice(1)}Command`;
      const Command = binding.commands[commandName];
      if (!isConstructor(Command)) {
        return { ok: false, error: 'States.Runtime', cause: `aws-sdk ${service} has no action '${action}'` };
      }
      let client = clients.get(service);
      if (client === undefined) {
        client = binding.client(aws);
        clients.set(service, client);
      }
      try {
        const output = await client.send(new Command(input ?? {}), { abortSignal: signal });
        return { ok: true, output: await materialise(output) };
      } catch (error) {
        const name = error instanceof Error ? error.name : 'Error';
        const message = error instanceof Error ? error.message : String(error);
        return { ok: false, error: `${binding.errorPrefix}.${name}`, cause: message };
      }
    },
  };
}
