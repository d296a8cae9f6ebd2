import { describe, expect, it } from 'vitest';
import type { ExpressCompletion } from '../../../router/executions/index.ts';
import { silentLogger } from '../../../router/observability/index.ts';
import { completeExpress } from '../../../router/pipeline/expressWrites.ts';

/** A completion as the pipeline carries it; the write under test only reads the key and the number. */
function completion(sequenceNumber: string, partitionKey: string): ExpressCompletion {
  return { sequenceNumber, partitionKey } as unknown as ExpressCompletion;
}

describe('completeExpress', () => {
  it('writes the window in one bulk call and reports nothing when it succeeds', async () => {
    // Prepare
    const written: ExpressCompletion[][] = [];
    const state = { failedKeys: new Set<string>(), failures: [] };

    // Act
    await completeExpress([completion('1', 'a'), completion('2', 'b')], state, {
      executions: { completeMany: async (items) => void written.push([...(items as ExpressCompletion[])]) },
      logger: silentLogger,
    });

    // Assess
    expect(written.map((w) => w.length)).toEqual([2]);
    expect(state.failures).toEqual([]);
  });

  it('reports every record of a failed write once and holds back its keys, without rejecting', async () => {
    // Prepare
    const state = { failedKeys: new Set<string>(), failures: [{ itemIdentifier: '1' }] };

    // Act
    await completeExpress([completion('1', 'a'), completion('2', 'a'), completion('3', 'b')], state, {
      executions: {
        completeMany: async () => {
          throw new Error('store unavailable');
        },
      },
      logger: silentLogger,
    });

    // Assess
    expect(state.failures).toEqual([
      { itemIdentifier: '1' },
      { itemIdentifier: '2' },
      { itemIdentifier: '3' },
    ]);
    expect([...state.failedKeys].sort()).toEqual(['a', 'b']);
  });
});
