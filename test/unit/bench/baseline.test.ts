import { describe, expect, it } from 'vitest';
import { cloudEventOf, createBaselineHandler, lambdaContext } from '../../../bench/baseline/handler.ts';
import { MemoryPersistenceLayer } from '../../../bench/baseline/MemoryPersistenceLayer.ts';
import { orderBatch, STEPS, type Step } from '../../../bench/baseline/workload.ts';
import { kinesisEventFactory, kinesisRecordFactory } from '../../support/records.ts';

function countingSteps(calls: string[]): Array<readonly [string, Step]> {
  return STEPS.map(([name, step]) => {
    const counted: Step = (input) => {
      calls.push(name);
      return step(input);
    };
    return [name, counted] as const;
  });
}

describe('Powertools baseline handler', () => {
  it('runs the three steps once per message and answers redeliveries from the store', async () => {
    // Prepare
    const calls: string[] = [];
    const store = new MemoryPersistenceLayer();
    const handler = createBaselineHandler({ persistenceStore: store, steps: countingSteps(calls) });
    const batch = orderBatch({ records: 4, partitionKeys: 2, run: 'a' });

    // Act
    const first = await handler(batch, lambdaContext());
    const again = await handler(batch, lambdaContext());

    // Assess
    expect(first.batchItemFailures).toEqual([]);
    expect(again.batchItemFailures).toEqual([]);
    expect(calls).toHaveLength(12);
    expect(calls.slice(0, 3)).toEqual(['step1', 'step2', 'step3']);
    expect(store.records.size).toBe(4);
    const [stored] = store.records.values();
    expect(stored?.getStatus()).toBe('COMPLETED');
    expect(stored?.getResponse()).toMatchObject({ step1: { valid: true, items: 8 } });
  });

  it('reports a record whose step fails, and runs it again on redelivery', async () => {
    // Prepare
    let failing = true;
    const store = new MemoryPersistenceLayer();
    const steps: Array<readonly [string, Step]> = [
      ...STEPS,
      [
        'step4',
        (input) => {
          if (failing) throw new Error('downstream unavailable');
          return input;
        },
      ],
    ];
    const handler = createBaselineHandler({ persistenceStore: store, steps });
    const batch = orderBatch({ records: 1, partitionKeys: 1, run: 'b' });
    const sequence = batch.Records[0]?.kinesis.sequenceNumber;

    // Act
    const first = await handler(batch, lambdaContext());
    failing = false;
    const second = await handler(batch, lambdaContext());

    // Assess
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: sequence }]);
    expect(second.batchItemFailures).toEqual([]);
    expect([...store.records.values()].map((r) => r.getStatus())).toEqual(['COMPLETED']);
  });

  it('fails a record that is not a CloudEvent, naming it', async () => {
    // Prepare
    const store = new MemoryPersistenceLayer();
    const handler = createBaselineHandler({ persistenceStore: store, steps: STEPS });
    const record = kinesisRecordFactory({ hello: 'world' });

    // Act
    const response = await handler(kinesisEventFactory([record]), lambdaContext());

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.kinesis.sequenceNumber }]);
    expect(store.requests).toBe(0);
    expect(() => cloudEventOf(record)).toThrow(`record ${record.eventID}: not a CloudEvent`);
  });
});
