/** The producer client: batched, retried, order-keeping PutRecords for anything that writes to the stream. */
export * from './Producer.ts';
