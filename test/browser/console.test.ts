/**
 * The console in a real headless chromium against the whole runtime on the embedded stack: an engine is
 * published and an event put; the execution's page shows the failed state in red with its error and
 * cause; a redrive from the page resumes it and the page shows it succeeded; on the Engines page live is
 * promoted to an older version, rolled back, given that version as a canary and rolled back again, each
 * after a confirmation. Every page is saved as a screenshot: in a temporary directory, or under
 * `CONSOLE_SCREENSHOTS` when it is set (`npm run console:screenshots` renews docs/console/ that way).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConsoleApi,
  consoleDepsFromEnv,
  type RunningConsole,
  StreamActivity,
  startConsole,
} from '../../router/console/index.ts';
import { StepLog } from '../fixtures/steps/recorder.ts';
import { cloudEvent, stepArn } from '../integration/router/graphs.ts';
import { useRouterStack } from '../integration/support/routerStack.ts';
import { launchChromium, type TestBrowser } from './chromium.ts';

/** Where the screenshots go; a temporary directory (removed afterwards) keeps `npm test` off tracked files. */
const SHOTS_KEPT = process.env.CONSOLE_SCREENSHOTS;
const SHOTS =
  SHOTS_KEPT === undefined || SHOTS_KEPT === ''
    ? mkdtempSync(join(tmpdir(), 'console-screenshots-'))
    : resolve(SHOTS_KEPT);
mkdirSync(SHOTS, { recursive: true });
const log = new StepLog();
const activity = new StreamActivity();
/** The payment step declines every card until the test lets it succeed. */
let chargeWorks = false;

const runtime = useRouterStack({
  functions: {
    reserve: log.step('reserve'),
    charge: log.step('charge', () => {
      if (!chargeWorks)
        throw Object.assign(new Error('card ending 4242 declined by the issuer'), {
          name: 'PaymentDeclined',
        });
      return { charged: true };
    }),
  },
  sweepEveryMs: 50,
  // What the local stack's mapping reports through onBatch, told here from each invocation's answer.
  wrap: (handler) => async (event, context) => {
    const answer = await handler(event, context);
    const failed = answer?.batchItemFailures.length ?? 0;
    activity.record({
      shardId: event.Records[0]?.eventID.split(':')[0] ?? '',
      outcome: failed === 0 ? 'success' : failed < event.Records.length ? 'partial' : 'failure',
      completed: event.Records.length - failed,
    });
    return answer;
  },
});

/** Orders: reserve each line in a Map, charge, succeed; a Choice sends empty orders to a Fail. */
function ordersGraph(comment: string): string {
  return JSON.stringify({
    Comment: comment,
    StartAt: 'HasLines',
    States: {
      HasLines: {
        Type: 'Choice',
        Choices: [{ Variable: '$.lines[0]', IsPresent: true, Next: 'ReserveLines' }],
        Default: 'Empty',
      },
      ReserveLines: {
        Type: 'Map',
        ItemsPath: '$.lines',
        ItemProcessor: {
          StartAt: 'Reserve',
          States: { Reserve: { Type: 'Task', Resource: stepArn('reserve'), End: true } },
        },
        ResultPath: '$.reserved',
        Next: 'Charge',
      },
      Charge: { Type: 'Task', Resource: stepArn('charge'), ResultPath: '$.payment', Next: 'Done' },
      Done: { Type: 'Succeed' },
      Empty: { Type: 'Fail', Error: 'EmptyOrder', Cause: 'an order needs at least one line' },
    },
  });
}

let browser: TestBrowser;
let console: RunningConsole;
let page: Page;

beforeAll(async () => {
  const rt = runtime();
  browser = await launchChromium();
  console = await startConsole({
    api: new ConsoleApi(
      consoleDepsFromEnv({ ...rt.env, ROUTER_ESM_CONSUMER: rt.esm.functionName }, activity),
    ),
    port: 0,
  });
  page = await browser.context.newPage();
}, 120_000);

afterAll(async () => {
  await console?.close();
  await browser?.close();
  if (SHOTS_KEPT === undefined || SHOTS_KEPT === '') rmSync(SHOTS, { recursive: true, force: true });
});

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function open(hash: string): Promise<void> {
  await page.goto(`${console.url}#/${hash}`);
}

describe('the console in a browser', () => {
  it('shows a failed execution with its cause, redrives it from the page and shows it succeeded', async () => {
    // Prepare
    const rt = runtime();
    await rt.publish({ source: ordersGraph('orders, first cut'), file: 'orders.hjson', engine: 'orders' });
    await rt.publish({
      source: JSON.stringify({ StartAt: 'Greet', States: { Greet: { Type: 'Pass', End: true } } }),
      file: 'greetings.hjson',
      engine: 'greetings',
    });
    await rt.put([
      { partitionKey: 'o1', data: cloudEvent('orders', 'o1', { lines: ['book', 'pen'] }) },
      { partitionKey: 'o2', data: cloudEvent('orders', 'o2', { lines: [] }) },
      ...Array.from({ length: 6 }, (_, i) => ({
        partitionKey: `g${i}`,
        data: cloudEvent('greetings', `g${i}`, { to: `customer ${i}` }),
      })),
    ]);
    await rt.waitForIdle();

    // Act: find the failed execution in the list, open it.
    await open('executions');
    await page.getByTestId('count-FAILED').filter({ hasText: 'FAILED 2' }).waitFor();
    await page.getByTestId('count-SUCCEEDED').filter({ hasText: 'SUCCEEDED 6' }).waitFor();
    await page.getByTestId('filter-text').fill('o1');
    await page.getByTestId('execution-row').filter({ hasText: 'shop/orders#o1' }).waitFor();
    await page.getByTestId('filter-text').fill('');
    await page.getByTestId('execution-row').nth(7).waitFor();
    await shot('executions');
    await page.getByTestId('filter-text').fill('o1');
    await page.getByTestId('execution-row').filter({ hasText: 'shop/orders#o1' }).getByRole('link').click();
    const charge = page.getByTestId('node-Charge');
    await charge.waitFor();
    const failedStatus = await charge.getAttribute('data-status');
    const error = await page.getByTestId('visit-error').first().textContent();
    const cause = await page.getByTestId('visit-cause').first().textContent();
    await page.getByTestId('toggle-ReserveLines').click();
    const reserve = await page.getByTestId('node-ReserveLines/*/Reserve').getAttribute('data-status');
    const empty = await page.getByTestId('node-Empty').getAttribute('data-status');
    await shot('execution-failed');

    chargeWorks = true;
    await page.getByTestId('redrive').click();
    await page.getByTestId('confirm-yes').click();
    const redriven = await page.getByTestId('redrive-result').textContent();
    // The sweep resumes it: refresh the page until it shows the outcome.
    await expect
      .poll(
        async () => {
          await page.getByTestId('refresh').click();
          await page.getByTestId('node-Charge').waitFor();
          return page.getByTestId('node-Charge').getAttribute('data-status');
        },
        { timeout: 30_000, interval: 250 },
      )
      .toBe('succeeded');
    const finalStatus = await page.getByTestId('execution-status').textContent();
    await shot('execution-redriven');

    // Assess
    expect(failedStatus).toBe('failed');
    expect(error).toBe('PaymentDeclined');
    expect(cause).toContain('card ending 4242 declined by the issuer');
    expect(reserve).toBe('succeeded');
    expect(empty).toBe('not-reached');
    expect(redriven).toBe("redriven from 'Charge'; the sweep resumes it");
    expect(finalStatus).toContain('SUCCEEDED');
    expect((await rt.execution('orders', 'shop/orders#o1'))?.status).toBe('SUCCEEDED');
  }, 120_000);

  it('promotes an older version, canaries it and rolls live back from the Engines page, after a confirmation', async () => {
    // Prepare: a second version moves live to 2.
    const rt = runtime();
    await rt.publish({ source: ordersGraph('orders, second cut'), file: 'orders.hjson', engine: 'orders' });
    await open('engines');
    await page.getByTestId('engine-orders').waitFor();
    await shot('engines');

    // Act
    await page.getByTestId('engine-orders').getByRole('link', { name: 'orders' }).click();
    await page.getByTestId('version-1').waitFor();
    const before = await page.getByTestId('live-alias').textContent();
    const aliasRow = await page.getByTestId('alias-live').textContent();
    await page.getByTestId('promote-1').click();
    await page.getByTestId('confirm-no').click();
    const afterCancel = await page.getByTestId('live-alias').textContent();
    await page.getByTestId('promote-1').click();
    await page.getByTestId('confirm-yes').click();
    await page
      .getByTestId('live-alias')
      .filter({ hasText: /^live: live -> 1$/ })
      .waitFor();
    const promoted = (await rt.registry.index.getAlias('orders', 'live'))?.targets;
    await page.getByTestId('rollback').click();
    await page.getByTestId('confirm-yes').click();
    await page
      .getByTestId('live-alias')
      .filter({ hasText: /^live: live -> 2$/ })
      .waitFor();
    const rolledBack = (await rt.registry.index.getAlias('orders', 'live'))?.targets;
    await page.getByTestId('canary-1').click();
    await page.getByTestId('confirm-yes').click();
    await page.getByTestId('live-alias').filter({ hasText: 'live -> 2 (90%), 1 (10%)' }).waitFor();
    const canary = (await rt.registry.index.getAlias('orders', 'live'))?.targets;
    await page.getByTestId('rollback').click();
    await page.getByTestId('confirm-yes').click();
    await page
      .getByTestId('live-alias')
      .filter({ hasText: /^live: live -> 2$/ })
      .waitFor();
    await page.getByTestId('toggle-ReserveLines').click();
    await page.getByTestId('node-ReserveLines/*/Reserve').waitFor();
    await shot('engine');

    // Assess
    expect(before).toBe('live: live -> 2');
    expect(afterCancel).toBe('live: live -> 2');
    expect(aliasRow).toMatch(/^live2 \(100%\)\d{4}-/);
    expect(promoted).toEqual([{ version: 1, weight: 100 }]);
    expect(rolledBack).toEqual([{ version: 2, weight: 100 }]);
    expect(canary).toEqual([
      { version: 2, weight: 90 },
      { version: 1, weight: 10 },
    ]);
  }, 120_000);

  it('shows the quarantine and redrives a record from it, then the stream and the cost pages', async () => {
    // Prepare: a record for an engine that is not published is quarantined as no-route.
    const rt = runtime();
    await rt.put([{ partitionKey: 'q1', data: cloudEvent('parcel', 'q1', { weight: 3 }) }]);
    await rt.waitForIdle();

    // Act
    await open('quarantine');
    await page.getByTestId('quarantine-row').first().waitFor();
    await shot('quarantine');
    await page.getByTestId('quarantine-row').first().getByRole('link').click();
    const reason = await page.getByTestId('quarantine-reason').textContent();
    const record = await page.getByTestId('quarantine-record').textContent();
    await shot('quarantine-entry');
    await page.getByTestId('quarantine-redrive').click();
    await page.getByTestId('confirm-yes').click();
    const redriven = await page.getByTestId('quarantine-redrive-result').textContent();
    const marked = (await rt.quarantined()).find((q) => q.record.partitionKey === 'q1')?.redrivenAt;
    await open('stream');
    await page.getByTestId('shard-row').first().waitFor();
    const shard = await page.getByTestId('shard-row').first().textContent();
    await shot('stream');
    await open('cost');
    await page.getByTestId('cost-engine').first().waitFor();
    const cost = await page.getByTestId('cost-engine').first().textContent();
    await shot('cost');

    // Assess
    expect(reason).toContain('no-route');
    expect(redriven).toBe('put back on the stream');
    expect(marked).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(JSON.parse(record ?? '')).toMatchObject({ as: 'json', data: { id: 'q1', engine: 'parcel' } });
    expect(shard).toMatch(/^shardId-\d+…\d+\d{4}-\d\d-\d\dT.*\d+ ms\d+\.\d\d+\d+$/);
    expect(cost).toMatch(/^(orders|greetings)\d/);
  }, 120_000);
});
