/**
 * The flow domains (`handlers/<domain>-flows/`), each read from its own index: the step functions of
 * every flow of every domain join the catalog, once each however many flows share a task.
 */
import { demoDomain } from './demo-flows/index.ts';
import type { FlowDomain, StepFunctionSpec } from './types.ts';

/** Every domain; a new `-flows` folder is added here. */
export const DOMAINS: readonly FlowDomain[] = [demoDomain];

/** The step functions of a set of domains, each name once (a shared task is one function). */
export function domainStepFunctions(domains: readonly FlowDomain[]): StepFunctionSpec[] {
  const byName = new Map<string, StepFunctionSpec>();
  for (const domain of domains) {
    for (const flow of Object.values(domain.flows)) {
      for (const step of flow.steps) {
        const known = byName.get(step.name);
        if (known !== undefined && known.entry !== step.entry) {
          throw new Error(
            `domain ${domain.name}, flow ${flow.name}: step '${step.name}' is ${step.entry}, another flow has ${known.entry}`,
          );
        }
        byName.set(step.name, step);
      }
    }
  }
  return [...byName.values()];
}
