/** Graphs and events for the router's end-to-end tests, written the way engine authors write them. */

/** The Lambda ARN of a step served by the local Lambda host. */
export function stepArn(fn: string): string {
  return `arn:aws:lambda:us-east-1:000000000000:function:${fn}`;
}

/** A graph of Lambda Tasks run in order, each result kept under `$.<function name>`. */
export function sequentialGraph(fns: readonly string[], extra: Record<string, unknown> = {}): string {
  const states: Record<string, unknown> = {};
  fns.forEach((fn, i) => {
    const next = fns[i + 1];
    states[fn] = {
      Type: 'Task',
      Resource: stepArn(fn),
      ResultPath: `$.${fn}`,
      ...(next === undefined ? { End: true } : { Next: next }),
    };
  });
  const [first] = fns;
  if (first === undefined) throw new Error('sequentialGraph: give at least one step');
  return JSON.stringify({ StartAt: first, States: states, ...extra }, null, 2);
}

/** A CloudEvent routed straight to `engine`; its dedup key is `shop/<engine>#<id>`. */
export function cloudEvent(
  engine: string | undefined,
  id: string,
  data: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    specversion: '1.0',
    id,
    source: `shop/${engine ?? 'none'}`,
    type: 'order.created',
    time: '2026-01-01T00:00:00Z',
    ...(engine === undefined ? {} : { engine }),
    data,
    ...extra,
  };
}
