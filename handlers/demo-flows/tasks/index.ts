/**
 * The demo domain's reusable flow tasks, as step functions: any flow of the domain lists the ones it
 * calls among its steps, and the function names are the same in every flow.
 */
import type { StepFunctionSpec } from '../../types.ts';

/** Copies a file from an SFTP server into the bucket, streaming (multipart upload). */
export const FETCH_SFTP_FILE: StepFunctionSpec = {
  name: 'demo-fetch-sftp-file',
  entry: 'handlers/demo-flows/tasks/fetch-sftp-file.ts',
  description: 'Seed 001 flow task: copies a file from an SFTP server into S3, streaming',
  timeoutSeconds: 300,
  memoryMb: 256,
  needs: ['bucket:read-write', 'sftp-secrets'],
};

/** Hands the rows of a CSV object to the workflow a chunk at a time. */
export const STREAM_S3_OBJECT: StepFunctionSpec = {
  name: 'demo-stream-s3-object',
  entry: 'handlers/demo-flows/tasks/stream-s3-object.ts',
  description: 'Seed 001 flow task: the next chunk of rows of a CSV object, from a byte offset',
  timeoutSeconds: 60,
  needs: ['bucket:read'],
};

/** One read-only query, a page of rows per call. */
export const REDSHIFT_SELECT: StepFunctionSpec = {
  name: 'demo-redshift-select',
  entry: 'handlers/demo-flows/tasks/redshift-select.ts',
  description: 'Seed 001 flow task: one read-only query through the Redshift Data API, a page per call',
  timeoutSeconds: 30,
  needs: ['redshift-data'],
};
