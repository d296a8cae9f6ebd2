/** The quarantine: where records the router gives up on are kept for inspection and redrive. */
export { MemoryQuarantineStore } from './MemoryQuarantineStore.ts';
export * from './QuarantineStore.ts';
export { S3QuarantineStore } from './S3QuarantineStore.ts';
