/**
 * The web console beside the local stack: `npm run localstack:up` and `npm start` serve it on the port
 * after the edge's, reading the stack through the same code as `router console`, with the Stream page
 * fed by the event source mapping running in this process.
 */
import {
  ConsoleApi,
  consoleDepsFromEnv,
  type RunningConsole,
  StreamActivity,
  startConsole,
} from '../router/console/index.ts';
import type { BatchReport } from './esm/index.ts';
import { LOCAL_ROUTER_FUNCTION } from './localRouter.ts';

/** The console's port for an edge on `edgePort`: the next one, or a free one when the edge took any. */
export function consolePortFor(edgePort: number): number {
  return edgePort === 0 ? 0 : edgePort + 1;
}

/** Collects the mapping's batches; start the console with it once the stack is up. */
export class StackConsole {
  readonly activity = new StreamActivity();

  /** The mapping's `onBatch`. */
  readonly onBatch = (report: BatchReport): void => this.activity.record(report);

  /** Serves the console for the stack `env` points at. */
  start(env: NodeJS.ProcessEnv, port: number, host: string): Promise<RunningConsole> {
    const deps = consoleDepsFromEnv({ ROUTER_ESM_CONSUMER: LOCAL_ROUTER_FUNCTION, ...env }, this.activity);
    return startConsole({ api: new ConsoleApi(deps), port, host });
  }
}
