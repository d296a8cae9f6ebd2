/** The invoke folder's surface: what the rest of the runtime imports from it. */
export { DynamoDBActivityQueue } from './DynamoDBActivityQueue.ts';
export { httpMetadata, integrationActions } from './integrations.ts';
export { createLocalInvoker } from './LocalInvoker.ts';
export { createJobStopper } from './OptimizedIntegrations.ts';
export type { SdkIntegrations } from './SdkIntegrations.ts';
export { createSdkIntegrations } from './SdkIntegrations.ts';
export { sdkService } from './sdkServices.ts';
export type { InvokeOutcome, TaskInvoker } from './TaskInvoker.ts';
export { createTaskInvoker } from './TaskInvoker.ts';
