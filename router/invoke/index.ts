/** The invoke folder's surface: what the rest of the runtime imports from it. */
export { DynamoDBActivityQueue } from './DynamoDBActivityQueue.ts';
export { integrationActions } from './integrations.ts';
export { createLocalInvoker } from './LocalInvoker.ts';
export { createSdkIntegrations } from './SdkIntegrations.ts';
export { sdkService } from './sdkServices.ts';
export type { InvokeOutcome, TaskInvoker } from './TaskInvoker.ts';
export { createTaskInvoker } from './TaskInvoker.ts';
