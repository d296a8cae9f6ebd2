/** Every flow of the demo domain, by name: a new flow is defined in this folder and added here. */
import { DemoFlow } from './demo-flow.ts';

/** The domain's flows. */
export const flows = { DemoFlow };
