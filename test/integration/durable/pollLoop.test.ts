/**
 * A seed-003-shaped poll loop (ExecuteStatement -> Wait 5 s -> DescribeStatement -> Choice) against the
 * Redshift Data emulation, with the router process killed with SIGKILL while the execution waits: the
 * Wait is durable, so a new router process resumes it from the due index and the loop finishes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedshiftDataEmulator } from '../../../localstack/redshift/index.ts';
import type { ExecutionRecord } from '../../../router/executions/ExecutionStore.ts';
import { decodeHistory } from '../../../router/executions/history.ts';
import { type CrashStack, startCrashStack } from './crashStack.ts';

const GRAPH = JSON.stringify({
  StartAt: 'run_load',
  States: {
    run_load: {
      Type: 'Task',
      Resource: 'arn:aws:states:::aws-sdk:redshiftdata:executeStatement',
      Parameters: {
        WorkgroupName: 'local',
        Database: 'dev',
        'Sql.$': "States.Format('select {} as loaded', $.batch)",
        StatementName: 'load',
      },
      ResultSelector: { 'Id.$': '$.Id' },
      ResultPath: '$.load',
      Next: 'wait_on_load',
    },
    wait_on_load: { Type: 'Wait', Seconds: 5, Next: 'load_status_check' },
    load_status_check: {
      Type: 'Task',
      Resource: 'arn:aws:states:::aws-sdk:redshiftdata:describeStatement',
      Parameters: { 'Id.$': '$.load.Id' },
      ResultPath: '$.load',
      Next: 'is_load_complete',
    },
    is_load_complete: {
      Type: 'Choice',
      Choices: [
        { Variable: '$.load.Status', StringEquals: 'FINISHED', Next: 'loaded' },
        {
          Or: [
            { Variable: '$.load.Status', StringEquals: 'FAILED' },
            { Variable: '$.load.Status', StringEquals: 'ABORTED' },
          ],
          Next: 'load_failure',
        },
      ],
      Default: 'wait_on_load',
    },
    load_failure: { Type: 'Fail', Error: 'Pipeline.LoadFailed', CausePath: '$.load.Error' },
    loaded: { Type: 'Succeed' },
  },
});

let crash: CrashStack;
beforeAll(async () => {
  crash = await startCrashStack(
    {},
    {
      ROUTER_RESOURCE_ALLOWLIST: 'arn:aws:states:::aws-sdk:redshiftdata:*',
      ROUTER_MAX_INPROCESS_WAIT_MS: '0',
      ROUTER_LEASE_MS: '1500',
      CRASH_SHARDS: '1',
    },
    [createRedshiftDataEmulator({ log: { info() {}, error() {} } })],
  );
  await crash.publish('etl', GRAPH);
}, 60_000);

afterAll(async () => {
  await crash?.stop();
});

async function until(
  what: string,
  check: (record: ExecutionRecord | undefined) => boolean,
  timeoutMs = 40_000,
): Promise<ExecutionRecord> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const record = await crash.executions.get({ engine: 'etl', dedupKey: 'etl/test#run-1' });
    if (record !== undefined && check(record)) return record;
    if (Date.now() > deadline) throw new Error(`poll loop: ${what}; last status ${record?.status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('poll loop on the Redshift Data emulation', () => {
  it('survives a SIGKILL of the router while it waits between ExecuteStatement and DescribeStatement', async () => {
    // Prepare
    let router = await crash.startRouter();
    // Act
    await crash.put([
      {
        partitionKey: 'run-1',
        data: {
          specversion: '1.0',
          id: 'run-1',
          source: 'etl/test',
          type: 'pipeline.run',
          engine: 'etl',
          data: { batch: 7 },
        },
      },
    ]);
    const parked = await until('never parked on the Wait', (r) => r?.status === 'WAITING');
    await router.kill();
    const afterKill = await crash.executions.get({ engine: 'etl', dedupKey: 'etl/test#run-1' });
    router = await crash.startRouter();
    const done = await until('never finished', (r) => r?.status === 'SUCCEEDED' || r?.status === 'FAILED');
    await router.kill();
    // Assess
    expect(afterKill?.status).toBe('WAITING');
    expect(parked.dueAt).toBeGreaterThanOrEqual(Date.parse(parked.startedAt) + 5_000);
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output ?? 'null')).toMatchObject({ batch: 7, load: { Status: 'FINISHED' } });
    const history = decodeHistory(done.history);
    const entered = history.filter((e) => e.type.endsWith('StateEntered')).map((e) => e.stateName);
    expect(entered.slice(0, 3)).toEqual(['run_load', 'wait_on_load', 'load_status_check']);
    expect(entered.filter((s) => s === 'run_load')).toHaveLength(1);
    expect(entered.at(-1)).toBe('loaded');
  }, 90_000);
});
