/**
 * DemoFlow (seed 001): a partner's file fetched over SFTP into S3, its rows handed on in chunks and
 * loaded, the import recorded and counted. The graph is `engines/demo-flow.hjson`; this is the list of
 * what it calls, so the flow deploys and runs with exactly its steps.
 */
import type { FlowDefinition } from '../../types.ts';
import { FETCH_SFTP_FILE, REDSHIFT_SELECT, STREAM_S3_OBJECT } from '../tasks/index.ts';

/** The flow, its graph and its steps. */
export const DemoFlow: FlowDefinition = {
  name: 'DemoFlow',
  engine: 'demo-flow',
  graph: 'engines/demo-flow.hjson',
  description: 'Fetches an inbound file over SFTP, loads its rows in chunks, records and counts the import',
  steps: [
    FETCH_SFTP_FILE,
    STREAM_S3_OBJECT,
    {
      name: 'demo-flow-load-rows',
      entry: 'handlers/demo-flows/flows/demo-flow/load-rows.ts',
      description: 'Seed 001 DemoFlow: stores a chunk of rows in demo_members, once per file and line',
      timeoutSeconds: 30,
      needs: ['redshift-data'],
    },
    {
      name: 'demo-flow-record-import',
      entry: 'handlers/demo-flows/flows/demo-flow/record-import.ts',
      description: 'Seed 001 DemoFlow: records an inbound file import once per key',
      timeoutSeconds: 30,
      needs: ['redshift-data'],
    },
    REDSHIFT_SELECT,
  ],
};
