/** The shape of a step function entry, shared by the catalog and the flows that fill it. */

/** What the CDK app needs to deploy one step function and what the Lambda host needs to serve it. */
export interface StepFunctionSpec {
  /** Function name (also the name graphs use in `arn:aws:lambda:...:function:NAME`). */
  readonly name: string;
  /** Module path from the repository root, e.g. `handlers/seed004/validate.ts`; it exports `handler`. */
  readonly entry: string;
  /** Why the step exists, shown in the console and the docs. */
  readonly description: string;
  readonly timeoutSeconds?: number;
  readonly memoryMb?: number;
  /** AWS access the step needs beyond logging, as IAM actions on the runtime's own resources. */
  readonly needs?: readonly (
    | 'executions-table:read-write'
    | 'bucket:read'
    | 'bucket:read-write'
    | 'redshift-data'
    | 'sftp-secrets'
  )[];
  /**
   * Runs the function on a schedule (EventBridge Scheduler when deployed, the local scheduler otherwise),
   * with `{ idempotencyKey: "NAME:SCHEDULED_TIME", scheduled_time }` as its input.
   */
  readonly schedule?: { readonly everyMinutes: number };
}

/**
 * One workflow of a domain: its graph (published as an engine) and the step functions its Task states
 * call. A domain's `flows/index.ts` lists these; the Lambda host, the CDK app and `npm run flow-task`
 * read them from there.
 */
export interface FlowDefinition {
  /** The flow's name within its domain, as `npm run flow-task -- DOMAIN FLOW` takes it (`DemoFlow`). */
  readonly name: string;
  /** The engine name its graph declares (`Engine:`), which events route to. */
  readonly engine: string;
  /** The graph's path from the repository root (`engines/demo-flow.hjson`). */
  readonly graph: string;
  readonly description: string;
  /** Every step function the graph calls, the domain's reusable tasks included. */
  readonly steps: readonly StepFunctionSpec[];
}

/** A domain's `-flows` folder as its `index.ts` exports it. */
export interface FlowDomain {
  /** The folder is `handlers/<name>-flows/`. */
  readonly name: string;
  readonly flows: Readonly<Record<string, FlowDefinition>>;
}
