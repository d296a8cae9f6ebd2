import { describe, expect, it } from 'vitest';
import { type InvokeEffect, type JsonObject, taskToken } from '../../../router/asl/index.ts';
import { childStartAttributes, mapProcessorOf, withMapChildren } from '../../../router/executions/index.ts';

const secret = new TextEncoder().encode('map-children');
const T0 = Date.parse('2026-01-01T00:00:00Z');

function childEffect(
  index: number,
  fields: JsonObject = { Engine: 'sales-rollup', Version: 3 },
): InvokeEffect {
  const id = `Sum#1.0/child[${index}]`;
  return {
    type: 'invoke',
    id,
    resource: 'arn:aws:states:local:000000000000:stateMachine:sales-rollup/SalesRollup',
    input: {
      Input: { Items: [index] },
      Name: `run-${index}`,
      MapRunArn: 'arn:aws:states:local:000000000000:mapRun:sales-rollup/SalesRollup:r',
      Index: index,
      ExecutionType: 'EXPRESS',
      Processor: [{ State: 'Sum' }],
      ...fields,
    },
    idempotencyKey: `parent-1:Sum#1/child[${index}]`,
    taskToken: taskToken(secret, 'parent-1', id, T0),
    stateName: 'Sum',
    attempt: 0,
    mapRun: 'child',
  };
}

function starter() {
  const puts: { partitionKey: string; data: JsonObject }[] = [];
  const invoke = withMapChildren(async () => ({ ok: true, output: 'not a child' }), {
    region: 'us-east-1',
    accountId: '000000000000',
    put: async (record) => {
      puts.push(record);
    },
    now: () => T0,
  });
  return { puts, invoke };
}

describe('distributed Map children through the stream', () => {
  it('puts one start record per child, running the parent version, linked to the parent token', async () => {
    // Prepare
    const { puts, invoke } = starter();
    const signal = new AbortController().signal;

    // Act
    const outcomes = await Promise.all([0, 1, 2].map((i) => invoke(childEffect(i), signal)));
    const again = await invoke(childEffect(1), signal);

    // Assess: handed over, one record each, the same record again for the same child
    expect(outcomes).toEqual([0, 1, 2].map(() => ({ pending: 'callback' })));
    expect(again).toEqual({ pending: 'callback' });
    expect(puts[3]).toEqual(puts[1]);
    const [first] = puts;
    const event = first?.data ?? {};
    expect(event).toMatchObject({ engine: 'sales-rollup', enginequalifier: '3', data: { Items: [0] } });
    expect(mapProcessorOf(event)).toEqual([{ State: 'Sum' }]);
    expect(childStartAttributes(event).parent).toMatchObject({
      executionId: 'parent-1',
      invokeId: 'Sum#1.0/child[0]',
      token: childEffect(0).taskToken,
      shape: 'raw',
    });
    expect(new Set(puts.slice(0, 3).map((p) => p.partitionKey)).size).toBe(3);
    expect(new Set(puts.slice(0, 3).map((p) => p.data.id)).size).toBe(3);
  });

  it('fails the child invoke, naming the Map, when the graph is not a published version', async () => {
    // Prepare
    const { puts, invoke } = starter();
    const effect = childEffect(0, { Engine: null, Version: null });

    // Act
    const outcome = await invoke(effect, new AbortController().signal);

    // Assess
    expect(outcome).toMatchObject({ ok: false, error: 'States.Runtime' });
    expect(JSON.stringify(outcome)).toContain("Map state 'Sum'");
    expect(puts).toEqual([]);
  });

  it('hands every other invoke to the invoker it wraps', async () => {
    // Prepare
    const { invoke } = starter();
    const { mapRun: _, ...task } = childEffect(0);

    // Act
    const outcome = await invoke(task, new AbortController().signal);

    // Assess
    expect(outcome).toEqual({ ok: true, output: 'not a child' });
  });
});
