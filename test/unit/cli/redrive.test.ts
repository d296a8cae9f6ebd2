import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../router/asl/interpreter/clock.ts';
import { type CompiledGraph, compileGraph } from '../../../router/asl/interpreter/compile.ts';
import { loadGraph } from '../../../router/asl/load.ts';
import { redriveFailedExecution } from '../../../router/cli/commands/redrive.ts';
import type { ExecutionRecord } from '../../../router/executions/ExecutionStore.ts';
import { cloudEventFactory, kinesisEventFactory, kinesisRecordFactory } from '../../support/records.ts';
import { inMemoryRouter } from '../../support/router.ts';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const CHARGE = 'arn:aws:lambda:us-east-1:000000000000:function:charge';

function compiled(source: string): CompiledGraph {
  const loaded = loadGraph(source, { file: 'test.hjson' });
  if (loaded.graph === undefined) throw new Error(`graph does not load: ${JSON.stringify(loaded.problems)}`);
  return compileGraph(loaded.graph);
}

/** Charge fails; with `caught`, its Catch leads to the Fail state Declined. */
function graph(caught: boolean): string {
  const charge = { Type: 'Task', Resource: CHARGE, End: true };
  return JSON.stringify({
    StartAt: 'Charge',
    States: caught
      ? {
          Charge: { ...charge, Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Declined' }] },
          Declined: { Type: 'Fail', Error: 'Declined', Cause: 'the card was declined' },
        }
      : { Charge: charge },
  });
}

/** Runs one message through the in-memory router on `source`; returns the FAILED execution. */
async function failedExecution(source: string) {
  const clock = new VirtualClock(T0);
  const r = inMemoryRouter(
    {
      charge: () => {
        throw Object.assign(new Error('card declined'), { name: 'PaymentError' });
      },
    },
    {},
    clock,
  );
  await r.publish(source, { engine: 'pay' });
  await r.router.processBatch(
    kinesisEventFactory([kinesisRecordFactory(cloudEventFactory({ engine: 'pay', data: {} }, 1))]),
  );
  const failed: ExecutionRecord | undefined = [...r.executions.records.values()][0];
  if (failed?.status !== 'FAILED') throw new Error(`expected a FAILED execution, got ${failed?.status}`);
  return { r, failed, clock };
}

/** An admission that refuses, as the CLI's allowlist check does, and counts its calls. */
function refusingAdmission() {
  const calls: string[] = [];
  return {
    calls,
    admit: async (engine: string, version: number) => {
      calls.push(`${engine}@${version}`);
      throw new Error(`${engine}@${version} calls resources outside the allowlist`);
    },
  };
}

describe('redriveFailedExecution', () => {
  it('reports a Fail-state ending before the allowlist is consulted', async () => {
    // Prepare
    const { r, failed, clock } = await failedExecution(graph(true));
    const admission = refusingAdmission();

    // Act
    const redrive = redriveFailedExecution(failed, {
      executions: r.executions,
      graphOf: async () => compiled(graph(true)),
      admit: admission.admit,
      now: clock.now(),
    });

    // Assess
    await expect(redrive).rejects.toThrow(
      /ended in Fail state 'Declined' \(Declined\); a redrive would fail the same way/,
    );
    expect(admission.calls).toEqual([]);
  });

  it('refuses a redrivable execution when the admission refuses, writing nothing', async () => {
    // Prepare
    const { r, failed, clock } = await failedExecution(graph(false));
    const admission = refusingAdmission();

    // Act
    const redrive = redriveFailedExecution(failed, {
      executions: r.executions,
      graphOf: async () => compiled(graph(false)),
      admit: admission.admit,
      now: clock.now(),
    });

    // Assess
    await expect(redrive).rejects.toThrow('pay@1 calls resources outside the allowlist');
    expect(admission.calls).toEqual(['pay@1']);
    expect([...r.executions.records.values()][0]).toEqual(failed);
  });

  it('reopens the execution at its failed state once admitted', async () => {
    // Prepare
    const { r, failed, clock } = await failedExecution(graph(false));

    // Act
    const { stateName, record } = await redriveFailedExecution(failed, {
      executions: r.executions,
      graphOf: async () => compiled(graph(false)),
      admit: async () => {},
      now: clock.now(),
    });

    // Assess
    expect(stateName).toBe('Charge');
    expect(record).toMatchObject({ status: 'WAITING', dueAt: clock.now() });
  });
});
