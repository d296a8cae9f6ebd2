/**
 * The CLI folder's surface for the web console, which reads and writes through the same functions as the
 * commands: the stores built from the environment, the summaries the commands print, the redrives.
 */
export { cliAllowlist } from './allowlist.ts';
export { describeAlias } from './commands/engine-registry.ts';
export { executionStoreFromEnv, executionSummary } from './commands/executions.ts';
export { decodeRecordData, quarantineStoreFromEnv } from './commands/quarantine.ts';
export { redriveFailedExecution, redriveGraphs, redriveQuarantinedRecord } from './commands/redrive.ts';
