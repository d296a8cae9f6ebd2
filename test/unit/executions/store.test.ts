import { describe, expect, it } from 'vitest';
import { executionIdFor } from '../../../router/executions/ExecutionStore.ts';
import { MemoryExecutionStore } from '../../../router/executions/MemoryExecutionStore.ts';
import { executionStoreContract } from '../../support/executionStoreContract.ts';

describe('MemoryExecutionStore', () => {
  executionStoreContract(() => new MemoryExecutionStore());
});

describe('executionIdFor', () => {
  it('is stable per engine and key, and differs between engines', () => {
    const a = executionIdFor({ engine: 'a', dedupKey: 'k' });
    expect(executionIdFor({ engine: 'a', dedupKey: 'k' })).toBe(a);
    expect(executionIdFor({ engine: 'b', dedupKey: 'k' })).not.toBe(a);
    expect(a).toMatch(/^a:[A-Za-z0-9_-]{22}$/);
  });
});
