/**
 * The operator's repair commands end to end: the router behind the event source mapping on the embedded
 * stack, steps on the local Lambda host, and the `router` CLI reading and writing the same tables,
 * bucket and stream. A record with no route is inspected with `quarantine list | show` and put back with
 * `quarantine redrive`; a failed execution is redriven, or refused for its real reason first.
 */
import { describe, expect, it } from 'vitest';
import type { ExecutionRecord } from '../../../router/executions/ExecutionStore.ts';
import { StepLog } from '../../fixtures/steps/recorder.ts';
import { runRouterCli } from '../../support/cli.ts';
import { cloudEvent, stepArn } from '../router/graphs.ts';
import { type RouterStack, useRouterStack } from '../support/routerStack.ts';

const log = new StepLog();
let chargeWorks = false;
const runtime = useRouterStack({
  functions: {
    ship: log.step('ship'),
    charge: log.step('charge', () => {
      if (!chargeWorks) throw Object.assign(new Error('card declined'), { name: 'PaymentError' });
      return 'charged';
    }),
  },
  sweepEveryMs: 50,
});

/** The CLI with the runtime's environment; `env` overrides (e.g. a narrower allowlist). */
async function cli(rt: RouterStack, argv: string[], env: Record<string, string> = {}) {
  const result = await runRouterCli(argv, { env: { ...rt.env, ...env } });
  return { code: result.code, out: result.stdout, err: result.stderr };
}

async function settled(rt: RouterStack, engine: string, id: string): Promise<ExecutionRecord> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const record = await rt.execution(engine, `shop/${engine}#${id}`);
    if (record !== undefined && (record.status === 'SUCCEEDED' || record.status === 'FAILED')) return record;
    if (Date.now() > deadline) throw new Error(`execution ${engine}/${id} did not finish: ${record?.status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('router quarantine list | show | redrive', () => {
  it('lists an unroutable record, shows it decoded and puts it back once its engine exists', async () => {
    // Prepare: no engine 'parcel' yet, so the record is quarantined with reason no-route
    const rt = runtime();
    await rt.put([{ partitionKey: 'q1', data: cloudEvent('parcel', 'q1', { weight: 3 }) }]);
    await rt.waitForIdle();

    // Act
    const listed = await cli(rt, ['quarantine', 'list', '--reason', 'no-route']);
    const id = listed.out.trimEnd().split('\n')[1]?.split(' ')[0] ?? '';
    const shown = await cli(rt, ['quarantine', 'show', id]);
    await rt.publish({
      source: JSON.stringify({
        StartAt: 'Ship',
        States: { Ship: { Type: 'Task', Resource: stepArn('ship'), End: true } },
      }),
      file: 'parcel.hjson',
      engine: 'parcel',
    });
    const redriven = await cli(rt, ['quarantine', 'redrive', id]);
    const done = await settled(rt, 'parcel', 'q1');
    const again = await cli(rt, ['quarantine', 'redrive', id]);
    const after = await cli(rt, ['quarantine', 'list', '--reason', 'no-route']);
    const none = await cli(rt, ['quarantine', 'list', '--reason', 'no-such-reason']);

    // Assess
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(/^ID\s+REASON\s+ENGINE\s+ATTEMPTS\s+QUARANTINED\s+REDRIVEN\n/);
    expect(listed.out.trimEnd().split('\n')).toHaveLength(2);
    expect(id).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z#shardId-\d+#\d+$/);
    expect(JSON.parse(shown.out)).toMatchObject({
      id,
      reason: 'no-route',
      message: expect.stringContaining("engine 'parcel' is not published"),
      dataAs: 'json',
      data: { id: 'q1', engine: 'parcel', data: { weight: 3 } },
    });
    expect(redriven).toMatchObject({ code: 0, err: '' });
    expect(redriven.out).toBe(`redrove ${id} to ${rt.names.stream}\n`);
    expect(done.status).toBe('SUCCEEDED');
    expect(again.code).toBe(1);
    expect(again.err).toContain('was already redriven at');
    expect(after.out.trimEnd().split('\n')[1]).toMatch(
      /^\S+\s+no-route\s+parcel\s+-\s+\S+\s+\d{4}-\d\d-\d\dT/,
    );
    expect(none.out).toBe('ID  REASON  ENGINE  ATTEMPTS  QUARANTINED  REDRIVEN\n');
  }, 60_000);
});

describe('router redrive ID', () => {
  /** The CLI's own allowlist, narrower than the router's: it does not allow the charge step. */
  const NARROW = { ROUTER_RESOURCE_ALLOWLIST: 'arn:aws:lambda:*:*:function:ship' };

  it('reports an execution that ended in a Fail state as such, not as an allowlist refusal', async () => {
    // Prepare
    const rt = runtime();
    await rt.publish({
      source: JSON.stringify({
        StartAt: 'Charge',
        States: {
          Charge: {
            Type: 'Task',
            Resource: stepArn('charge'),
            Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Declined' }],
            End: true,
          },
          Declined: { Type: 'Fail', Error: 'Declined' },
        },
      }),
      file: 'declines.hjson',
      engine: 'declines',
    });
    await rt.put([{ partitionKey: 'd1', data: cloudEvent('declines', 'd1', {}) }]);
    const failed = await settled(rt, 'declines', 'd1');

    // Act
    const result = await cli(rt, ['redrive', failed.executionId], NARROW);

    // Assess
    expect(failed.status).toBe('FAILED');
    expect(result.code).toBe(1);
    expect(result.err).toContain(
      "ended in Fail state 'Declined' (Declined); a redrive would fail the same way",
    );
    expect(result.err).not.toContain('allowlist');
  }, 60_000);

  it('names the allowlist that refuses a redrivable execution, redrives it with --allow, lists it under a header', async () => {
    // Prepare
    const rt = runtime();
    await rt.publish({
      source: JSON.stringify({
        StartAt: 'Charge',
        States: { Charge: { Type: 'Task', Resource: stepArn('charge'), ResultPath: '$.charged', End: true } },
      }),
      file: 'payments.hjson',
      engine: 'payments',
    });
    await rt.put([{ partitionKey: 'p1', data: cloudEvent('payments', 'p1', { amount: 5 }) }]);
    const failed = await settled(rt, 'payments', 'p1');
    chargeWorks = true;

    // Act
    const refused = await cli(rt, ['redrive', failed.executionId], NARROW);
    const stillFailed = await rt.execution('payments', failed.dedupKey);
    const allowed = await cli(
      rt,
      ['redrive', failed.executionId, '--allow', 'arn:aws:lambda:*:*:function:charge'],
      NARROW,
    );
    const done = await settled(rt, 'payments', 'p1');
    const listed = await cli(rt, ['executions', 'list', '--engine', 'payments']);

    // Assess
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(
      `execution ${failed.executionId} was not redriven: payments@1 calls resources outside the allowlist`,
    );
    expect(refused.err).toContain(
      'the allowlist checked is ROUTER_RESOURCE_ALLOWLIST (arn:aws:lambda:*:*:function:ship)',
    );
    expect(stillFailed?.status).toBe('FAILED');
    expect(allowed).toMatchObject({ code: 0, err: '' });
    expect(allowed.out).toContain("redriven from state 'Charge'");
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output ?? 'null')).toEqual({ amount: 5, charged: 'charged' });
    expect(listed.out.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^EXECUTION\s+ENGINE@VERSION\s+STATUS\s+STARTED\s+UPDATED\s+ERROR$/),
      expect.stringMatching(new RegExp(`^${failed.executionId}\\s+payments@1\\s+SUCCEEDED\\s+`)),
    ]);
  }, 60_000);
});
