/**
 * `arn:aws:states:::aws-sdk:SERVICE:ACTION`: the action's Parameters become the v3 command's input and
 * its response (less `$metadata`) the task result. Errors are named `Service.ErrorName` as Step
 * Functions names them (`RedshiftData.ValidationException`).
 *
 * A service's client package is imported the first time a graph calls it, by name, so the router's bundle
 * carries none of them: on Lambda they come from the runtime's own AWS SDK, locally from node_modules.
 * Any service whose `@aws-sdk/client-*` package is present works; a cold start pays for a client only
 * when an engine uses it.
 */

import type { JsonValue } from '../asl/index.ts';
import { type AwsEnvironment, clientConfig } from '../aws/index.ts';
import { sdkService } from './sdkServices.ts';

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
  readonly errorPrefix: string;
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
    const { packageName, errorPrefix } = sdkService(service);
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
    return { client, commands: module, errorPrefix };
  }

  return {
    async call(service, action, input, signal) {
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
        return {
          ok: false,
          error: 'States.Runtime',
          cause: error instanceof Error ? error.message : String(error),
        };
      }
      const Command = binding.commands[`${action.charAt(0).toUpperCase()}${action.slice(1)}Command`];
      if (!isConstructor(Command)) {
        return { ok: false, error: 'States.Runtime', cause: `aws-sdk ${service} has no action '${action}'` };
      }
      try {
        const output = await binding.client.send(new Command(input ?? {}), { abortSignal: signal });
        return { ok: true, output: await materialise(output) };
      } catch (error) {
        const name = error instanceof Error ? error.name : 'Error';
        const message = error instanceof Error ? error.message : String(error);
        return { ok: false, error: `${binding.errorPrefix}.${name}`, cause: message };
      }
    },
  };
}
