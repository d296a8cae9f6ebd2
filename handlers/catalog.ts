/**
 * The step Lambdas this project ships, in one list: the local Lambda host serves them by name and the CDK
 * app deploys one function per entry, so a handler added here exists in both places. The flow domains'
 * steps come from each domain's index (`handlers/domains.ts`).
 */

import { DOMAINS, domainStepFunctions } from './domains.ts';
import { FLOW_STEP_FUNCTIONS } from './flows.ts';
import type { StepFunctionSpec } from './types.ts';

export type { StepFunctionSpec } from './types.ts';

/** Every step function, by name. */
export const STEP_FUNCTIONS: readonly StepFunctionSpec[] = [
  ...FLOW_STEP_FUNCTIONS,
  ...domainStepFunctions(DOMAINS),
];
