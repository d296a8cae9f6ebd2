/**
 * Quarantine: the records the router gave up on, by reason and engine, in arrival order a page at a
 * time; one record's raw bytes (decoded) and reason; redrive puts it back on the stream.
 */
import type { QuarantinePage } from '../../types.ts';
import { get, post } from '../api.ts';
import { confirmAction, h, jsonBlock, table } from '../dom.ts';

function chips(
  title: string,
  counts: Readonly<Record<string, number>>,
  onPick: (key: string) => void,
): HTMLElement {
  return h(
    'div',
    { class: 'counts' },
    h('span', { class: 'muted' }, `${title}: `),
    ...Object.entries(counts).map(([key, n]) =>
      h('button', { class: 'count', onclick: () => onPick(key) }, `${key} ${n}`),
    ),
  );
}

async function entryPage(main: HTMLElement, id: string): Promise<void> {
  const entry = await get<Record<string, unknown>>('quarantine/entry', { id });
  const status = h('div', { class: 'status' });
  const redrive = async (): Promise<void> => {
    if (!(await confirmAction('Put this record back on the stream with its own partition key?'))) return;
    try {
      const done = await post<{ reopened: boolean }>('quarantine/redrive', { id });
      status.replaceChildren(
        h(
          'p',
          { class: 'ok', 'data-testid': 'quarantine-redrive-result' },
          `put back on the stream${done.reopened ? '; its execution was reopened' : ''}`,
        ),
      );
    } catch (error) {
      status.replaceChildren(
        h(
          'p',
          { class: 'error', 'data-testid': 'quarantine-redrive-result' },
          error instanceof Error ? error.message : String(error),
        ),
      );
    }
  };
  main.replaceChildren(
    h('p', {}, h('a', { href: '#/quarantine' }, '← quarantine')),
    h('h2', { class: 'mono' }, id),
    h(
      'p',
      { 'data-testid': 'quarantine-reason' },
      h('strong', {}, String(entry.reason)),
      ` · ${String(entry.message)}`,
    ),
    h(
      'div',
      { class: 'row' },
      h(
        'button',
        { class: 'primary', onclick: () => void redrive(), 'data-testid': 'quarantine-redrive' },
        'Redrive',
      ),
      entry.redrivenAt === undefined
        ? ''
        : h('span', { class: 'muted' }, `redriven at ${String(entry.redrivenAt)}`),
    ),
    status,
    h('h3', {}, 'Record'),
    jsonBlock(entry.decoded, 'quarantine-record'),
    h('h3', {}, 'Index entry'),
    jsonBlock({ ...entry, decoded: undefined }),
  );
}

/** The Quarantine page; `#/quarantine/ID` opens one entry. */
export async function quarantinePage(
  main: HTMLElement,
  args: readonly string[],
  query: URLSearchParams,
): Promise<undefined> {
  const [id] = args;
  if (id !== undefined && id !== '') {
    await entryPage(main, id);
    return undefined;
  }
  const engine = query.get('engine') ?? '';
  const reason = query.get('reason') ?? '';
  const after = query.get('after') ?? '';
  const page = await get<QuarantinePage>('quarantine', { engine, reason, after });
  const link = (params: Record<string, string>): string =>
    `#/quarantine?${new URLSearchParams({ engine, reason, ...params }).toString()}`;
  const rows = page.rows.map((r) =>
    h(
      'tr',
      { 'data-testid': 'quarantine-row' },
      h(
        'td',
        { class: 'mono' },
        h('a', { href: `#/quarantine/${encodeURIComponent(r.id)}` }, r.quarantinedAt),
      ),
      h('td', {}, r.reason),
      h('td', {}, r.engine ?? ''),
      h('td', { class: 'mono' }, `${r.shardId} ${r.sequenceNumber.slice(-8)}`),
      h('td', {}, r.message),
      h('td', {}, r.redrivenAt ?? ''),
    ),
  );
  main.replaceChildren(
    h('h2', {}, 'Quarantine'),
    h(
      'p',
      { class: 'muted' },
      `filters: ${engine === '' ? 'any engine' : engine}, ${reason === '' ? 'any reason' : reason} `,
      engine !== '' || reason !== '' ? h('a', { href: '#/quarantine' }, 'clear') : '',
    ),
    chips('by reason', page.byReason, (key) => {
      location.hash = link({ reason: key, after: '' });
    }),
    chips('by engine', page.byEngine, (key) => {
      location.hash = link({ engine: key === '(none)' ? '' : key, after: '' });
    }),
    rows.length === 0
      ? h('p', { class: 'muted' }, 'Nothing quarantined.')
      : table(['Arrived', 'Reason', 'Engine', 'Shard / sequence', 'Message', 'Redriven'], rows, 'quarantine'),
    page.next === undefined
      ? ''
      : h('p', {}, h('a', { href: link({ after: page.next }) }, 'Later records →')),
  );
  return undefined;
}
