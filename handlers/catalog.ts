/**
 * The step Lambdas this project ships, in one list: the local Lambda host serves them by name and the CDK
 * app deploys one function per entry, so a handler added here exists in both places.
 */

import { FLOW_STEP_FUNCTIONS } from './flows.ts';
import type { StepFunctionSpec } from './types.ts';

export type { StepFunctionSpec } from './types.ts';

/** Every step function, by name. Flows add their entries here. */
export const STEP_FUNCTIONS: readonly StepFunctionSpec[] = [...FLOW_STEP_FUNCTIONS];
