/**
 * A distributed Map's child that parks durably (a long Wait) is resumed by the sweep on its Map's item
 * processor, of the version its parent runs, and answers the parent with the processor's output.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../router/asl/interpreter/clock.ts';
import { cloudEventFactory, kinesisEventFactory, kinesisRecordFactory } from '../../support/records.ts';
import { type InMemoryRouter, inMemoryRouter } from '../../support/router.ts';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const HOUR_MS = 3_600_000;

/** Each batch of two items waits an hour inside its child, then counts its items. */
const GRAPH = JSON.stringify({
  StartAt: 'Before',
  States: {
    Before: { Type: 'Pass', Next: 'Batches' },
    Batches: {
      Type: 'Map',
      ItemsPath: '$.items',
      ItemBatcher: { MaxItemsPerBatch: 2 },
      ItemProcessor: {
        ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
        StartAt: 'Later',
        States: {
          Later: { Type: 'Wait', Seconds: 3600, Next: 'Count' },
          Count: {
            Type: 'Pass',
            Parameters: { 'n.$': 'States.ArrayLength($.Items)', 'first.$': '$.Items[0]' },
            End: true,
          },
        },
      },
      ResultPath: '$.counts',
      End: true,
    },
  },
});

/** Feeds the records the router put on its stream since `from` back to it, as one batch. */
async function deliver(r: InMemoryRouter, from: number): Promise<number> {
  const records = r.streamed.slice(from);
  if (records.length > 0) {
    await r.router.processBatch(
      kinesisEventFactory(records.map((x) => kinesisRecordFactory(x.data, { partitionKey: x.partitionKey }))),
    );
  }
  return from + records.length;
}

describe('a distributed Map child that waits durably', () => {
  it('is resumed by the sweep on the item processor and answers its parent', async () => {
    // Prepare
    const clock = new VirtualClock(T0, { auto: false });
    const r = inMemoryRouter({}, { taskTokenSecret: 'map-resume' }, clock, { mapChildren: 'executions' });
    await r.publish(GRAPH, { engine: 'rollup' });
    await r.router.processBatch(
      kinesisEventFactory([
        kinesisRecordFactory(cloudEventFactory({ engine: 'rollup', data: { items: [1, 2, 3] } }, 1), {
          partitionKey: 'p-1',
        }),
      ]),
    );
    const starts = await deliver(r, 0);

    // Act: an hour later the sweep resumes both children; their answers reach the parent
    const parked = await r.executions.list({ engine: 'rollup', limit: 10 });
    clock.advance(HOUR_MS + 1000);
    const swept = await r.router.sweep();
    await deliver(r, starts);

    // Assess
    expect(starts).toBe(2);
    expect(parked.map((x) => x.status).sort()).toEqual(['WAITING', 'WAITING', 'WAITING']);
    expect(swept.failed).toBe(0);
    const records = await Promise.all(
      (await r.executions.list({ engine: 'rollup', limit: 10 })).map(
        async (x) => (await r.executions.find(x.executionId)) ?? x,
      ),
    );
    const children = records.filter((x) => x.parent !== undefined);
    const [parent] = records.filter((x) => x.parent === undefined);
    expect(children.map((x) => x.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(children.map((x) => x.parent?.processor)).toEqual([
      [{ State: 'Batches' }],
      [{ State: 'Batches' }],
    ]);
    expect(parent?.status).toBe('SUCCEEDED');
    expect(JSON.parse(parent?.output ?? 'null')).toEqual({
      items: [1, 2, 3],
      counts: [
        { n: 2, first: 1 },
        { n: 1, first: 3 },
      ],
    });
  });
});
