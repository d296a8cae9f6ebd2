/**
 * One execution: its graph with every state coloured by what happened (Map and Parallel states expand
 * in place, down to one item), the failed state first with its error and cause, each state's input and
 * output a click away, the timeline with durations and retries, the task tokens it waits on, linked
 * executions, and redrive from the failed state.
 */
import type { ExecutionDetail, GraphNode, StateStatus, VisitView } from '../../types.ts';
import { get, post } from '../api.ts';
import { badge, confirmAction, duration, h, jsonBlock, table } from '../dom.ts';
import { drawGraph } from '../graph.ts';

/** Which status wins when a node was visited more than once (items, branches). */
const PRIORITY: readonly StateStatus[] = ['failed', 'running', 'waiting', 'caught', 'retried', 'succeeded'];

/** The status of each node: the latest visit per item, the most telling across items. */
function statusesOf(
  visits: readonly VisitView[],
  item: { scope: string; index: number } | undefined,
): Map<string, StateStatus> {
  const latest = new Map<string, VisitView>();
  for (const visit of visits) {
    if (item !== undefined && visit.node.startsWith(`${item.scope}/`)) {
      const depth = item.scope.split('/').filter((s) => s === '*' || /^\d+$/.test(s)).length;
      if (visit.items[depth - 1] !== item.index) continue;
    }
    latest.set(`${visit.node}|${visit.items.join(',')}`, visit);
  }
  const statuses = new Map<string, StateStatus>();
  for (const visit of latest.values()) {
    const had = statuses.get(visit.node);
    if (had === undefined || PRIORITY.indexOf(visit.status) < PRIORITY.indexOf(had))
      statuses.set(visit.node, visit.status);
  }
  return statuses;
}

function visitPanel(visit: VisitView, index: number): HTMLElement {
  return h(
    'div',
    { class: `visit visit-${visit.status}`, 'data-testid': 'visit' },
    h(
      'p',
      {},
      h('strong', {}, visit.stateName),
      ` (${visit.stateType}) `,
      badge(visit.status),
      visit.items.length > 0 ? ` item ${visit.items.join(' / ')}` : '',
      ` · ${duration(visit.end === undefined ? undefined : visit.end - visit.start)}`,
      visit.retries > 0 ? ` · ${visit.retries} ${visit.retries === 1 ? 'retry' : 'retries'}` : '',
      visit.redriven === true ? ' · redriven' : '',
      ` · visit ${index + 1}`,
    ),
    visit.error === undefined ? '' : h('p', { class: 'error', 'data-testid': 'visit-error' }, visit.error),
    visit.cause === undefined ? '' : h('pre', { class: 'cause', 'data-testid': 'visit-cause' }, visit.cause),
    h('details', { open: visit.status === 'failed' }, h('summary', {}, 'input'), jsonBlock(visit.input)),
    h('details', {}, h('summary', {}, 'output'), jsonBlock(visit.output)),
  );
}

function timeline(detail: ExecutionDetail): HTMLElement {
  const start = detail.visits[0]?.start ?? 0;
  const end = Math.max(start + 1, ...detail.visits.map((v) => v.end ?? v.start));
  const span = end - start;
  const rows = detail.visits.map((v) => {
    const left = ((v.start - start) / span) * 100;
    const width = Math.max(0.5, (((v.end ?? end) - v.start) / span) * 100);
    return h(
      'tr',
      { 'data-testid': 'timeline-row' },
      h('td', {}, `+${duration(v.start - start)}`),
      h(
        'td',
        { class: 'indent', style: `padding-left:${v.items.length * 16 + 4}px` },
        v.items.length > 0 ? `[${v.items.join('/')}] ` : '',
        v.stateName,
      ),
      h('td', {}, badge(v.status)),
      h('td', {}, duration(v.end === undefined ? undefined : v.end - v.start)),
      h('td', {}, v.retries > 0 ? String(v.retries) : ''),
      h(
        'td',
        { class: 'bar-cell' },
        h('div', {
          class: `bar status-${v.status}`,
          style: `margin-left:${left.toFixed(2)}%;width:${width.toFixed(2)}%`,
        }),
      ),
    );
  });
  return table(['Offset', 'State', 'Status', 'Duration', 'Retries', 'Timeline'], rows, 'timeline');
}

/** The Execution page: `#/execution/ID`. */
export async function executionPage(
  main: HTMLElement,
  args: readonly string[],
  query: URLSearchParams,
): Promise<undefined> {
  const [id] = args;
  if (id === undefined || id === '') throw new Error('name an execution: #/execution/ENGINE:DIGEST');
  const key = query.get('key') ?? undefined;
  const detail = await get<ExecutionDetail>('execution', { id, key });
  const summary = detail.summary;
  const expanded = new Set<string>();
  let selected: string | undefined;
  let item: { scope: string; index: number } | undefined;
  const graphBox = h('div', { class: 'graph-box' });
  const side = h('div', { class: 'side', 'data-testid': 'state-panel' });
  const status = h('div', { class: 'status' });

  const failed = detail.visits.filter((v) => v.status === 'failed').at(-1);
  const showNode = (node: string): void => {
    selected = node;
    const visits = detail.visits.filter((v) => v.node === node);
    const graphNode = detail.graph?.nodes.find((n) => n.id === node);
    const items = [
      ...new Set(
        detail.visits
          .filter((v) => graphNode?.children?.some((c) => v.node.startsWith(`${c}/`)))
          .map((v) => v.items.at(-1) ?? 0),
      ),
    ];
    side.replaceChildren(
      h('h3', {}, graphNode?.name ?? node),
      graphNode?.type === 'Map' && items.length > 0
        ? h(
            'p',
            {},
            'items: ',
            ...items
              .sort((a, b) => a - b)
              .map((i) =>
                h(
                  'button',
                  {
                    class: item?.index === i && item.scope === `${node}/*` ? 'primary' : undefined,
                    'data-testid': `item-${i}`,
                    onclick: () => {
                      item = item?.index === i ? undefined : { scope: `${node}/*`, index: i };
                      expanded.add(node);
                      draw();
                    },
                  },
                  String(i),
                ),
              ),
          )
        : '',
      visits.length === 0
        ? h('p', { class: 'muted' }, 'not reached')
        : h('div', {}, ...visits.map(visitPanel)),
    );
    draw();
  };
  const draw = (): void => {
    if (detail.graph === undefined) {
      graphBox.replaceChildren(h('p', { class: 'error' }, detail.graphError ?? 'no graph'));
      return;
    }
    graphBox.replaceChildren(
      drawGraph(detail.graph, {
        statuses: statusesOf(detail.visits, item),
        expanded,
        ...(selected === undefined ? {} : { selected }),
        onSelect: (node: GraphNode) => showNode(node.id),
        onToggle: (node: GraphNode) => {
          if (expanded.has(node.id)) expanded.delete(node.id);
          else expanded.add(node.id);
          draw();
        },
      }),
    );
  };
  // Open the Map / Parallel states that hold the failure, so the failed state shows at once.
  if (failed !== undefined) {
    const parts = failed.node.split('/');
    for (let i = 1; i < parts.length; i++) {
      const owner = parts.slice(0, i).join('/');
      if (detail.graph?.nodes.some((n) => n.id === owner && n.children !== undefined)) expanded.add(owner);
    }
  }

  const redrive = async (): Promise<void> => {
    if (!(await confirmAction(`Redrive ${id} from its failed state? The sweep resumes it.`))) return;
    try {
      const done = await post<{ stateName: string }>('redrive', { id, key });
      status.replaceChildren(
        h(
          'p',
          { class: 'ok', 'data-testid': 'redrive-result' },
          `redriven from '${done.stateName}'; the sweep resumes it`,
        ),
      );
    } catch (error) {
      status.replaceChildren(
        h(
          'p',
          { class: 'error', 'data-testid': 'redrive-result' },
          error instanceof Error ? error.message : String(error),
        ),
      );
    }
  };

  const tokens = detail.tokens.map((t) =>
    h(
      'tr',
      {},
      h('td', {}, t.stateName),
      h('td', { class: 'mono' }, t.resource),
      h('td', { class: 'mono token' }, t.taskToken),
      h('td', {}, t.submitted ? 'handed over' : 'not yet handed over'),
    ),
  );
  const links = [
    ...(detail.parent === undefined
      ? []
      : [
          h(
            'li',
            {},
            'started by ',
            h('a', { href: `#/execution/${encodeURIComponent(detail.parent)}` }, detail.parent),
          ),
        ]),
    ...detail.children.map((c) =>
      h('li', {}, 'started ', h('a', { href: `#/execution/${encodeURIComponent(c)}` }, c)),
    ),
  ];
  main.replaceChildren(
    h('p', {}, h('a', { href: '#/executions' }, '← executions')),
    h('h2', { class: 'mono' }, String(summary.executionId)),
    h(
      'p',
      { 'data-testid': 'execution-status' },
      badge(String(summary.status)),
      ` ${String(summary.engine)}@${String(summary.version)} · ${String(summary.mode)} · dedup key `,
      h('span', { class: 'mono' }, String(summary.dedupKey)),
      ` · started ${String(summary.startedAt)} · updated ${String(summary.updatedAt)}`,
    ),
    summary.error === undefined
      ? ''
      : h(
          'div',
          { class: 'failure', 'data-testid': 'execution-error' },
          h('strong', {}, String(summary.error)),
          summary.cause === undefined ? '' : h('pre', { class: 'cause' }, String(summary.cause)),
        ),
    h(
      'div',
      { class: 'row' },
      h(
        'button',
        {
          class: 'primary',
          disabled: !detail.redrive.possible,
          onclick: () => void redrive(),
          'data-testid': 'redrive',
        },
        'Redrive from the failed state',
      ),
      detail.redrive.reason === undefined ? '' : h('span', { class: 'muted' }, detail.redrive.reason),
      h(
        'button',
        { onclick: () => void executionPage(main, args, query), 'data-testid': 'refresh' },
        'Refresh',
      ),
    ),
    status,
    h(
      'div',
      { class: 'legend' },
      ...(['succeeded', 'failed', 'caught', 'retried', 'running', 'waiting', 'not-reached'] as const).map(
        (s) => h('span', { class: `chip status-${s}` }, s),
      ),
    ),
    h('div', { class: 'split' }, graphBox, side),
    h('h3', {}, 'Timeline'),
    timeline(detail),
    h('h3', {}, 'Task tokens waited on'),
    tokens.length === 0
      ? h('p', { class: 'muted' }, 'none')
      : table(['State', 'Resource', 'Token', ''], tokens, 'tokens'),
    h('h3', {}, 'Linked executions'),
    links.length === 0 ? h('p', { class: 'muted' }, 'none') : h('ul', {}, ...links),
    h(
      'details',
      {},
      h('summary', {}, 'Input and output'),
      h('h4', {}, 'input'),
      jsonBlock(summary.input),
      h('h4', {}, 'output'),
      jsonBlock(summary.output),
    ),
    h(
      'details',
      {},
      h('summary', {}, `Event history (${detail.events.length} events)`),
      table(
        ['#', 'Time', 'Type', 'State', 'Thread', 'Error'],
        detail.events.map((e) =>
          h(
            'tr',
            {},
            h('td', {}, String(e.id)),
            h('td', {}, new Date(e.timestamp).toISOString()),
            h('td', {}, e.type),
            h('td', {}, e.stateName ?? ''),
            h('td', { class: 'mono' }, e.thread),
            h('td', {}, e.error ?? ''),
          ),
        ),
        'events',
      ),
    ),
  );
  if (failed !== undefined) showNode(failed.node);
  else draw();
  return undefined;
}
