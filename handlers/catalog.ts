/**
 * The step Lambdas this project ships, in one list: the local Lambda host serves them by name and the CDK
 * app deploys one function per entry, so a handler added here exists in both places.
 */

import { FLOW_STEP_FUNCTIONS } from './flows.ts';

/** What the CDK app needs to deploy one step function and what the Lambda host needs to serve it. */
export interface StepFunctionSpec {
  /** Function name (also the name graphs use in `arn:aws:lambda:...:function:NAME`). */
  readonly name: string;
  /** Module path from the repository root, e.g. `handlers/seed004/validate.ts`; it exports `handler`. */
  readonly entry: string;
  /** Why the step exists, shown in the console and the docs. */
  readonly description: string;
  readonly timeoutSeconds?: number;
  readonly memoryMb?: number;
  /** AWS access the step needs beyond logging, as IAM actions on the runtime's own resources. */
  readonly needs?: readonly ('executions-table:read-write' | 'bucket:read' | 'redshift-data')[];
}

/** Every step function, by name. Flows add their entries here. */
export const STEP_FUNCTIONS: readonly StepFunctionSpec[] = [...FLOW_STEP_FUNCTIONS];
