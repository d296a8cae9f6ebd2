/**
 * Executions: a live list, newest first, filtered by engine, version, status, start time and text in the
 * dedup key, with counts per status; paged by a cursor the server hands back, so every page reads the
 * same bounded number of index items however many executions there are.
 */
import type { EngineView, ExecutionsPage, StatusCounts } from '../../types.ts';
import { get } from '../api.ts';
import { badge, executionHref, h, table } from '../dom.ts';

const STATUSES = ['RUNNING', 'WAITING', 'SUCCEEDED', 'FAILED', 'QUARANTINED'];
const REFRESH_MS = 3000;

function toIso(local: string): string | undefined {
  if (local === '') return undefined;
  const at = new Date(local);
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString();
}

/** The Executions page; the hash's query (`?engine=NAME&status=FAILED`) presets the filters. */
export async function executionsPage(
  main: HTMLElement,
  _args: readonly string[],
  query: URLSearchParams,
): Promise<() => void> {
  const engines = await get<EngineView[]>('engines');
  const engine = h(
    'select',
    { name: 'engine', 'data-testid': 'filter-engine' },
    h('option', { value: '' }, 'all engines'),
    ...engines.map((e) => h('option', { value: e.engine }, e.engine)),
  );
  engine.value = query.get('engine') ?? '';
  const status = h(
    'select',
    { name: 'status', 'data-testid': 'filter-status' },
    h('option', { value: '' }, 'any status'),
    ...STATUSES.map((s) => h('option', { value: s }, s)),
  );
  status.value = query.get('status') ?? '';
  const version = h('input', {
    name: 'version',
    type: 'number',
    min: 1,
    placeholder: 'version',
    'data-testid': 'filter-version',
  });
  const from = h('input', { name: 'from', type: 'datetime-local', step: 1, 'data-testid': 'filter-from' });
  const to = h('input', { name: 'to', type: 'datetime-local', step: 1, 'data-testid': 'filter-to' });
  const text = h('input', {
    name: 'text',
    type: 'search',
    placeholder: 'dedup key contains',
    'data-testid': 'filter-text',
  });
  const live = h('input', { type: 'checkbox', checked: true, 'data-testid': 'live' });
  const counts = h('div', { class: 'counts', 'data-testid': 'counts' });
  const list = h('div', { 'data-testid': 'executions-list' });
  const pager = h('div', { class: 'pager' });
  const cursors: string[] = [];
  let before: string | undefined;

  const filters = (): Record<string, string | undefined> => ({
    engine: engine.value,
    status: status.value,
    version: version.value,
    from: toIso(from.value),
    to: toIso(to.value),
    text: text.value,
  });

  const loadCounts = async (): Promise<void> => {
    const { engine: e, from: f, to: t } = filters();
    const found = await get<StatusCounts>('counts', { engine: e, from: f, to: t });
    counts.replaceChildren(
      ...STATUSES.map((s) => {
        const c = found.counts[s] ?? { count: 0, capped: false };
        return h(
          'button',
          {
            class: `count status-${s.toLowerCase()}`,
            'data-testid': `count-${s}`,
            onclick: () => {
              status.value = status.value === s ? '' : s;
              restart();
            },
          },
          `${s} ${c.count.toLocaleString('en')}${c.capped ? '+' : ''}`,
        );
      }),
    );
  };

  const load = async (): Promise<void> => {
    const page = await get<ExecutionsPage>('executions', { ...filters(), before });
    const rows = page.rows.map((r) =>
      h(
        'tr',
        { 'data-testid': 'execution-row', 'data-id': r.executionId },
        h('td', { class: 'mono' }, h('a', { href: executionHref(r.executionId, r.dedupKey) }, r.executionId)),
        h('td', {}, `${r.engine}@${r.version}`),
        h('td', {}, badge(r.status)),
        h('td', { class: 'mono' }, r.dedupKey),
        h('td', {}, r.startedAt),
        h('td', {}, r.updatedAt),
        h('td', { class: 'error-text' }, r.error ?? ''),
      ),
    );
    list.replaceChildren(
      rows.length === 0
        ? h(
            'p',
            { class: 'muted', 'data-testid': 'no-executions' },
            page.next === undefined
              ? 'No executions match.'
              : 'None among the executions read for this page: go on to older ones.',
          )
        : table(
            ['Execution', 'Engine@version', 'Status', 'Dedup key', 'Started', 'Updated', 'Error'],
            rows,
            'executions',
          ),
    );
    pager.replaceChildren(
      h(
        'button',
        {
          disabled: cursors.length === 0,
          'data-testid': 'newer',
          onclick: () => {
            const previous = cursors.pop();
            before = previous === '' ? undefined : previous;
            void load();
          },
        },
        '← Newer',
      ),
      h(
        'button',
        {
          disabled: page.next === undefined,
          'data-testid': 'older',
          onclick: () => {
            cursors.push(before ?? '');
            before = page.next;
            void load();
          },
        },
        'Older →',
      ),
      h('span', { class: 'muted' }, `${page.rows.length} shown`),
    );
  };

  const restart = (): void => {
    cursors.length = 0;
    before = undefined;
    void Promise.all([load(), loadCounts()]);
  };
  for (const input of [engine, status, version, from, to, text]) input.addEventListener('change', restart);
  text.addEventListener('input', restart);

  main.replaceChildren(
    h('h2', {}, 'Executions'),
    h(
      'form',
      {
        class: 'filters',
        onsubmit: (event: Event) => {
          event.preventDefault();
          restart();
        },
      },
      engine,
      version,
      status,
      h('label', {}, 'from ', from),
      h('label', {}, 'to ', to),
      text,
      h('label', {}, live, ' live'),
    ),
    counts,
    list,
    pager,
  );
  await Promise.all([load(), loadCounts()]);
  const timer = setInterval(() => {
    if (live.checked && before === undefined && document.visibilityState === 'visible')
      void Promise.all([load(), loadCounts()]);
  }, REFRESH_MS);
  return () => clearInterval(timer);
}
