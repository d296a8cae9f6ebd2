/**
 * Cost: per engine and per execution, the store requests, state transitions, step invocations and their
 * durations, with the price here and on Step Functions Standard and Express beside it.
 */
import type { CostView } from '../../types.ts';
import { get } from '../api.ts';
import { duration, executionHref, h, table } from '../dom.ts';

function usd(value: number): string {
  return `$${value < 0.01 ? value.toExponential(2) : value.toFixed(4)}`;
}

/** The Cost page; `?engine=NAME` narrows it to one engine. */
export async function costPage(
  main: HTMLElement,
  _args: readonly string[],
  query: URLSearchParams,
): Promise<undefined> {
  const view = await get<CostView>('cost', { engine: query.get('engine') ?? undefined });
  const engines = view.engines.map((e) =>
    h(
      'tr',
      { 'data-testid': 'cost-engine' },
      h('td', {}, h('a', { href: `#/cost?engine=${encodeURIComponent(e.engine)}` }, e.engine)),
      h('td', {}, String(e.executions)),
      h('td', {}, String(e.storeWrites)),
      h('td', {}, String(e.storeReads)),
      h('td', {}, String(e.transitions)),
      h('td', {}, String(e.invocations)),
      h('td', {}, duration(e.invocationMs)),
      h('td', {}, usd(e.routerUsd)),
      h('td', {}, usd(e.standardUsd)),
      h('td', {}, usd(e.expressUsd)),
    ),
  );
  const rows = view.rows
    .slice(0, 200)
    .map((r) =>
      h(
        'tr',
        {},
        h('td', { class: 'mono' }, h('a', { href: executionHref(r.executionId, r.dedupKey) }, r.executionId)),
        h('td', {}, r.status),
        h('td', {}, String(r.storeWrites)),
        h('td', {}, String(r.transitions)),
        h('td', {}, String(r.invocations)),
        h('td', {}, duration(r.invocationMs)),
        h('td', {}, duration(r.durationMs)),
        h('td', {}, usd(r.routerUsd)),
        h('td', {}, usd(r.standardUsd)),
        h('td', {}, usd(r.expressUsd)),
      ),
    );
  main.replaceChildren(
    h('h2', {}, 'Cost'),
    h(
      'p',
      { class: 'muted' },
      "Over each engine's newest 50 executions. Here: DynamoDB requests plus the step Lambdas; the router's own Lambda time is shared by a batch and left out. Step Functions columns add the same step Lambdas.",
    ),
    table(
      [
        'Engine',
        'Executions',
        'Store writes',
        'Store reads',
        'Transitions',
        'Step invocations',
        'Step time',
        'Here',
        'SFN Standard',
        'SFN Express',
      ],
      engines,
      'cost-engines',
    ),
    h('h3', {}, 'Per execution'),
    table(
      [
        'Execution',
        'Status',
        'Store writes',
        'Transitions',
        'Invocations',
        'Step time',
        'Duration',
        'Here',
        'SFN Standard',
        'SFN Express',
      ],
      rows,
      'cost-executions',
    ),
    h('h3', {}, 'Prices (us-east-1)'),
    h(
      'ul',
      {},
      ...Object.entries(view.prices).map(([name, price]) => h('li', {}, h('strong', {}, name), `: ${price}`)),
    ),
  );
  return undefined;
}
