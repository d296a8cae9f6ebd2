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
  readonly needs?: readonly ('executions-table:read-write' | 'bucket:read' | 'redshift-data')[];
  /**
   * Runs the function on a schedule (EventBridge Scheduler when deployed, the local scheduler otherwise),
   * with `{ idempotencyKey: "NAME:SCHEDULED_TIME", scheduled_time }` as its input.
   */
  readonly schedule?: { readonly everyMinutes: number };
}
