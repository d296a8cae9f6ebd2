/**
 * The demo domain (seed 001's `demo-flows`): its flows and their steps, in the shape the Lambda host, the
 * CDK app and `npm run flow-task` read. Add a flow in `flows/` and it is served, deployed and runnable.
 */
import type { FlowDomain } from '../types.ts';
import { flows } from './flows/index.ts';

/** The domain as `handlers/domains.ts` lists it. */
export const demoDomain: FlowDomain = { name: 'demo', flows };
