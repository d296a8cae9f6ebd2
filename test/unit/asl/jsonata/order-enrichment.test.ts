/**
 * The shipped JSONata engine `engines/order-enrichment.hjson`: it validates against the shipped allowlist
 * and runs its three mocked test cases (a small order accepted as it is, a large one reviewed, a large
 * one whose review fails and is flagged by the Catcher's Assign).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENGINES_ALLOWLIST } from '../../../../engines/allowlist.ts';
import {
  compileGraph,
  createMockInvoker,
  loadGraph,
  parseMockConfig,
  runExecution,
  selectTestCase,
  VirtualClock,
} from '../../../../router/asl/index.ts';

const graphSource = readFileSync('engines/order-enrichment.hjson', 'utf8');
const mockSource = readFileSync('test/fixtures/mocks/order-enrichment.json', 'utf8');

async function runCase(testCase: string, unitPrice: number) {
  const { graph, problems } = loadGraph(graphSource, { allowlist: ENGINES_ALLOWLIST });
  if (graph === undefined) throw new Error(problems.map((p) => p.message).join('\n'));
  const mocks = parseMockConfig(mockSource);
  if (mocks.config === undefined) throw new Error('invalid mock file');
  const invoker = createMockInvoker(selectTestCase(mocks.config, ['order-enrichment'], testCase));
  const clock = new VirtualClock(Date.parse('2026-01-01T00:00:00Z'));
  const input = {
    orderId: 'o-1',
    customer: { tier: 'gold' },
    lines: [
      { sku: 'a', qty: 2, unitPrice: 10 },
      { sku: 'b', qty: 1, unitPrice },
    ],
  };
  const result = await runExecution(
    compileGraph(graph),
    { executionId: `order-${testCase}`, input, startTime: clock.now() },
    { invoke: invoker.invoke, clock, maxInProcessWaitMs: Number.POSITIVE_INFINITY },
  );
  return { status: result.status, output: result.status === 'SUCCEEDED' ? result.output : undefined };
}

describe('engines/order-enrichment.hjson (JSONata)', () => {
  it('validates against the shipped allowlist', () => {
    expect(loadGraph(graphSource, { allowlist: ENGINES_ALLOWLIST }).problems).toEqual([]);
  });

  it('accepts a small order without review, the gold discount applied to every line', async () => {
    const result = await runCase('SmallOrder', 5);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toEqual({
      orderId: 'o-1',
      tier: 'gold',
      subtotal: 22.5,
      route: 'auto',
      lines: [
        { sku: 'a', qty: 2, total: 18 },
        { sku: 'b', qty: 1, total: 4.5 },
      ],
    });
  });

  it('sends a large order to review, and flags it when the review fails', async () => {
    const reviewed = await runCase('LargeOrderApproved', 600);
    expect(reviewed.output).toMatchObject({ subtotal: 558, route: 'reviewed' });
    const flagged = await runCase('LargeOrderReviewDown', 600);
    expect(flagged.output).toMatchObject({ subtotal: 558, route: 'flagged' });
  });
});
