/** The local stand-in for EventBridge Scheduler: runs the catalog's scheduled step functions. */
export { type LocalScheduler, type ScheduledRun, startLocalScheduler } from './LocalScheduler.ts';
