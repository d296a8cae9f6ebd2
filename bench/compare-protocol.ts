/** What `bench/compare.ts` and its child process (`bench/compare-child.ts`) say to each other. */

/** The four contenders: the router's two modes, and the baseline in parallel and in order-keeping mode. */
export type Contender = 'express' | 'standard' | 'baseline' | 'baseline-sequential';

/** What the parent asks. */
export type ChildRequest =
  | { readonly type: 'run'; readonly contender: Contender; readonly records: number; readonly keys: number }
  | { readonly type: 'heap'; readonly records: number }
  | { readonly type: 'exit' };

/** What one measured batch took. */
export interface RunTiming {
  readonly wallMs: number;
  readonly cpuMs: number;
}

/** Heap of one express batch against the DynamoDB store, in MiB. */
export interface HeapGrowth {
  readonly growthMiB: number;
  readonly peakMiB: number;
}

/** The idempotency table of the baseline (created by the parent). */
export const IDEMPOTENCY_TABLE = 'bench-idempotency';

/** The engine each router contender routes to (published by the parent). */
export const ENGINES = { express: 'orders-express', standard: 'orders-standard' } as const;
