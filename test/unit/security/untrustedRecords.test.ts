/**
 * What someone who can put records on the stream can make the router do, beyond forging callbacks
 * (forgedCallback.test.ts): name a resource, run a graph outside the allowlist, hold the invocation past
 * its deadline. docs/guarantees.md cites these tests.
 */

import { LambdaClient } from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import { loadGraph } from '../../../router/asl/index.ts';
import type { JsonValue } from '../../../router/asl/types.ts';
import { DEFAULT_ALLOWLIST, routerSettingsFromEnv } from '../../../router/config.ts';
import { routerDeps } from '../../../router/deps.ts';
import { MemoryExecutionStore } from '../../../router/executions/MemoryExecutionStore.ts';
import { createLocalInvoker } from '../../../router/invoke/LocalInvoker.ts';
import { createSdkIntegrations } from '../../../router/invoke/SdkIntegrations.ts';
import { createTaskInvoker } from '../../../router/invoke/TaskInvoker.ts';
import { MessageEventRouter } from '../../../router/MessageEventRouter.ts';
import { CountingMetrics, silentLogger } from '../../../router/observability/telemetry.ts';
import { MemoryQuarantineStore } from '../../../router/quarantine/MemoryQuarantineStore.ts';
import type { QuarantineEntry } from '../../../router/quarantine/QuarantineStore.ts';
import { MemoryGraphStore } from '../../../router/registry/GraphStore.ts';
import { MemoryEngineIndex } from '../../../router/registry/MemoryEngineIndex.ts';
import { PublishValidationError, publishEngine } from '../../../router/registry/publish.ts';
import { cloudEventFactory, kinesisEventFactory, kinesisRecordFactory } from '../../support/records.ts';
import { inMemoryRouter, sequentialGraph } from '../../support/router.ts';

const EVIL = 'arn:aws:lambda:us-east-1:000000000000:function:evil';

/** Graph calling `evil`, which no allowlist below but the widest one admits. */
const EVIL_GRAPH = JSON.stringify({
  StartAt: 'Exfiltrate',
  States: { Exfiltrate: { Type: 'Task', Resource: EVIL, End: true } },
});

async function entries(list: AsyncIterable<QuarantineEntry>): Promise<QuarantineEntry[]> {
  const out: QuarantineEntry[] = [];
  for await (const entry of list) out.push(entry);
  return out;
}

/** Steps that count their calls by name. */
function countingSteps(names: readonly string[]) {
  const calls = new Map<string, number>();
  const steps = Object.fromEntries(
    names.map((name) => [
      name,
      (payload: JsonValue) => {
        calls.set(name, (calls.get(name) ?? 0) + 1);
        return payload;
      },
    ]),
  );
  return { steps, calls };
}

describe('a record on the stream', () => {
  it('names an engine, never a resource: an ARN in its engine attribute is quarantined as no-route', async () => {
    // Prepare
    const { steps, calls } = countingSteps(['step1', 'evil']);
    const r = inMemoryRouter(steps);
    await r.publish(sequentialGraph(1), { engine: 'orders' });

    // Act
    const result = await r.router.processBatch(
      kinesisEventFactory([kinesisRecordFactory(cloudEventFactory({ engine: EVIL, data: {} }, 1))]),
    );

    // Assess
    expect(result).toMatchObject({ quarantined: 1, succeeded: 0 });
    expect((await entries(r.quarantine.list())).map((entry) => entry.reason)).toEqual(['no-route']);
    expect(calls.size).toBe(0);
  });

  it('cannot run a graph outside the allowlist: refused at publish, and at load when stored under a wider one', async () => {
    // Prepare: a router allowed only step1; the same graph store, written by a publisher allowed anything
    const allowlist = ['arn:aws:lambda:*:*:function:step1'];
    const index = new MemoryEngineIndex();
    const store = new MemoryGraphStore();
    const quarantine = new MemoryQuarantineStore();
    const { steps, calls } = countingSteps(['step1', 'evil']);
    const router = new MessageEventRouter(
      routerDeps({
        index,
        store,
        load: (source, options) => loadGraph(source, { file: options.file, allowlist }),
        executions: new MemoryExecutionStore(),
        quarantine,
        invoke: createLocalInvoker(steps),
        settings: { ...routerSettingsFromEnv({}), aliasTtlMs: 0, allowlist },
        logger: silentLogger,
        metrics: new CountingMetrics(),
      }),
    );
    const narrow = (source: string, options: { file: string }) =>
      loadGraph(source, { ...options, allowlist });
    const wide = (source: string, options: { file: string }) =>
      loadGraph(source, { ...options, allowlist: DEFAULT_ALLOWLIST });

    // Act
    const refused: unknown = await publishEngine(
      { source: EVIL_GRAPH, file: 'evil.hjson', engine: 'evil' },
      narrow,
      { index, store },
    ).catch((error: unknown) => error);
    await publishEngine({ source: EVIL_GRAPH, file: 'evil.hjson', engine: 'evil' }, wide, { index, store });
    const result = await router.processBatch(
      kinesisEventFactory([kinesisRecordFactory(cloudEventFactory({ engine: 'evil', data: {} }, 1))]),
    );

    // Assess
    expect(refused).toBeInstanceOf(PublishValidationError);
    expect(refused instanceof Error ? refused.message : '').toContain('is not in the resource allowlist');
    expect(calls.get('evil')).toBeUndefined();
    expect(result.succeeded).toBe(0);
    expect(result).toMatchObject({ quarantined: 1, failures: [] });
    const [entry] = await entries(quarantine.list());
    expect(entry?.reason).toBe('engine-unavailable');
    expect(entry?.message).toContain(`engine evil@1: stored graph`);
    expect(entry?.message).toContain(`resource '${EVIL}' is not in the resource allowlist`);
  });

  it('picks a function only among the allowlisted ones where a graph takes its name from the input', async () => {
    // Prepare: the real invoker over a Lambda client whose transport counts requests instead of sending
    let requests = 0;
    const lambda = new LambdaClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'unit', secretAccessKey: 'unit' },
      requestHandler: {
        handle: async () => {
          requests += 1;
          throw new Error('no network in unit tests');
        },
      },
    });
    const allowlist = ['arn:aws:states:::lambda:invoke', 'arn:aws:lambda:*:*:function:step1'];
    const index = new MemoryEngineIndex();
    const store = new MemoryGraphStore();
    const executions = new MemoryExecutionStore();
    const load = (source: string, options: { file: string }) => loadGraph(source, { ...options, allowlist });
    const router = new MessageEventRouter(
      routerDeps({
        index,
        store,
        load,
        executions,
        quarantine: new MemoryQuarantineStore(),
        invoke: createTaskInvoker({
          lambda,
          sdk: createSdkIntegrations({ region: 'us-east-1' }),
          allowlist,
          region: 'us-east-1',
        }),
        settings: { ...routerSettingsFromEnv({}), aliasTtlMs: 0, allowlist },
        logger: silentLogger,
        metrics: new CountingMetrics(),
      }),
    );
    const graph = JSON.stringify({
      StartAt: 'Call',
      States: {
        Call: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { 'FunctionName.$': '$.target', Payload: {} },
          End: true,
        },
      },
    });
    await publishEngine({ source: graph, file: 'dispatch.hjson', engine: 'dispatch' }, load, {
      index,
      store,
    });

    // Act
    const result = await router.processBatch(
      kinesisEventFactory([
        kinesisRecordFactory(cloudEventFactory({ engine: 'dispatch', data: { target: 'evil' } }, 1)),
      ]),
    );

    // Assess
    expect(result.failed).toBe(1);
    expect(requests).toBe(0);
    const [execution] = [...executions.records.values()];
    expect(execution?.error).toBe('States.Runtime');
    expect(execution?.cause).toContain(
      "function arn:aws:lambda:us-east-1:000000000000:function:evil is not in this deployment's allowlist",
    );
  });

  it('cannot hold the invocation past its deadline: records not started in time are handed back, not run', async () => {
    // Prepare
    const { steps, calls } = countingSteps(['step1']);
    const r = inMemoryRouter(steps);
    await r.publish(sequentialGraph(1), { engine: 'orders' });
    const batch = kinesisEventFactory(
      [1, 2, 3].map((i) =>
        kinesisRecordFactory(cloudEventFactory({ engine: 'orders', data: { order: i } }, i), {
          partitionKey: `key-${i}`,
        }),
      ),
    );

    // Act: Lambda says one second is left, less than the router keeps in reserve
    const result = await r.router.processBatch(batch, { remainingTimeMs: () => 1_000 });

    // Assess
    expect(result.failures.map((failure) => failure.itemIdentifier)).toEqual(
      batch.Records.map((record) => record.kinesis.sequenceNumber),
    );
    expect(calls.size).toBe(0);
  });
});
