/**
 * `arn:aws:states:::aws-sdk:SERVICE:ACTION`: the action's Parameters become the v3 command's input and
 * its response (less `$metadata`) the task result. Errors are named `Service.ErrorNameException` as Step
 * Functions names them (`RedshiftData.ValidationException`, `Sqs.QueueDoesNotExistException`). The
 * optimized integrations send their commands through the same loader.
 *
 * A service's client package is imported the first time a graph calls it, by name, so the router's bundle
 * carries none of them: on Lambda they come from the runtime's own AWS SDK, locally from node_modules.
 * Any service whose `@aws-sdk/client-*` package is present works; a cold start pays for a client only
 * when an engine uses it.
 */

import type { JsonValue } from '../asl/index.ts';
import { type AwsEnvironment, clientConfig } from '../aws/index.ts';
import { abortOptions } from './abort.ts';
import { sdkService } from './sdkServices.ts';

/** The result of one SDK call, its error named as Step Functions names it. */
export type SdkOutcome =
  | { readonly ok: true; readonly output: unknown }
  | { readonly ok: false; readonly error: string; readonly cause: string };

/**
 * The result of one SDK command as the client gave it: the output (with `$metadata`), the service's
 * error (its SDK name, message and HTTP status), or why the command could not be sent at all.
 */
export type SdkSent =
  | { readonly ok: true; readonly output: unknown }
  | { readonly ok: false; readonly kind: 'service'; readonly name: string; readonly message: string }
  | { readonly ok: false; readonly kind: 'runtime'; readonly message: string };

/** Calls SDK actions by service and action name. */
export interface SdkIntegrations {
  /** `aws-sdk:SERVICE:ACTION`: the output less nothing, errors named `Service.NameException`. */
  call(service: string, action: string, input: JsonValue, signal: AbortSignal): Promise<SdkOutcome>;
  /**
   * The command's raw result, for integrations that shape responses and name errors their own way. A
   * streamed `Body` is read into a string, unless `stream` asks for the stream itself (read it, or it
   * holds its connection).
   */
  send(
    service: string,
    action: string,
    input: unknown,
    signal: AbortSignal,
    options?: { readonly stream?: boolean },
  ): Promise<SdkSent>;
}

/**
 * A service error's name as Step Functions gives it: `Prefix.NameException` (the SDK's v3 names drop the
 * suffix for some protocols: SQS `QueueDoesNotExist` is `QueueDoesNotExistException` there); an error
 * the client raised before any answer (network, credentials) is `Prefix.SdkClientException`.
 */
export function serviceErrorName(prefix: string, sent: SdkSent & { ok: false; kind: 'service' }): string {
  if (sent.name === '') return `${prefix}.SdkClientException`;
  return `${prefix}.${sent.name.endsWith('Exception') ? sent.name : `${sent.name}Exception`}`;
}

/** Reads a thrown SDK error: service errors carry `$metadata`; anything else failed in the client. */
function sentError(error: unknown): SdkSent {
  const message = error instanceof Error ? error.message : String(error);
  const fromService = typeof error === 'object' && error !== null && '$metadata' in error;
  const name = fromService && error instanceof Error ? error.name : '';
  return { ok: false, kind: 'service', name, message };
}

interface SendingClient {
  send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}

type Constructor = new (input: unknown) => unknown;

function isConstructor(value: unknown): value is Constructor {
  return typeof value === 'function';
}

function isSendingClient(value: unknown): value is SendingClient {
  return typeof value === 'object' && value !== null && 'send' in value && typeof value.send === 'function';
}

/** A loaded service: its client and its command classes. */
interface LoadedService {
  readonly client: SendingClient;
  readonly commands: Readonly<Record<string, unknown>>;
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

/** Imports a module by a name known only at run time (kept out of the bundle on purpose). */
const importByName = (name: string): Promise<Record<string, unknown>> => import(name);

/** SDK integrations over real clients, loaded per service on first use. */
export function createSdkIntegrations(
  aws: AwsEnvironment,
  load: (packageName: string) => Promise<Record<string, unknown>> = importByName,
): SdkIntegrations {
  const services = new Map<string, Promise<LoadedService>>();

  async function loadService(service: string): Promise<LoadedService> {
    const { packageName } = sdkService(service);
    let module: Record<string, unknown>;
    try {
      module = await load(packageName);
    } catch (error) {
      throw new Error(
        `aws-sdk service '${service}' needs ${packageName}, which this runtime cannot load: ${String(error)}`,
      );
    }
    const entry = Object.entries(module).find(
      ([name, value]) => name.endsWith('Client') && name !== 'Client' && isConstructor(value),
    );
    const Client = entry?.[1];
    if (!isConstructor(Client)) throw new Error(`${packageName} exports no client class`);
    const client = new Client(clientConfig(aws, service));
    if (!isSendingClient(client)) throw new Error(`${packageName}'s client has no send method`);
    return { client, commands: module };
  }

  async function send(
    service: string,
    action: string,
    input: unknown,
    signal: AbortSignal,
    options: { readonly stream?: boolean } = {},
  ): Promise<SdkSent> {
    let loaded = services.get(service);
    if (loaded === undefined) {
      loaded = loadService(service);
      services.set(service, loaded);
      loaded.catch(() => services.delete(service));
    }
    let binding: LoadedService;
    try {
      binding = await loaded;
    } catch (error) {
      return { ok: false, kind: 'runtime', message: error instanceof Error ? error.message : String(error) };
    }
    const Command = binding.commands[`${action.charAt(0).toUpperCase()}${action.slice(1)}Command`];
    if (!isConstructor(Command)) {
      return { ok: false, kind: 'runtime', message: `aws-sdk ${service} has no action '${action}'` };
    }
    try {
      const output = await binding.client.send(new Command(input ?? {}), abortOptions(signal));
      return { ok: true, output: options.stream === true ? output : await materialise(output) };
    } catch (error) {
      return sentError(error);
    }
  }

  return {
    send,
    async call(service, action, input, signal) {
      const sent = await send(service, action, input, signal);
      if (sent.ok) return sent;
      if (sent.kind === 'runtime') return { ok: false, error: 'States.Runtime', cause: sent.message };
      return {
        ok: false,
        error: serviceErrorName(sdkService(service).errorPrefix, sent),
        cause: sent.message,
      };
    },
  };
}
