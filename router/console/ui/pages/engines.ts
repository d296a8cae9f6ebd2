/**
 * Engines: every engine with its latest version and live alias; one engine's versions (its publish
 * history), the alias's earlier targets, the graph of any version, and promote / canary / rollback, each
 * after a confirmation.
 */
import type { AliasView, EngineDetail, EngineView, GraphModel } from '../../types.ts';
import { get, post } from '../api.ts';
import { confirmAction, h, table } from '../dom.ts';
import { drawGraph } from '../graph.ts';

function aliasText(alias: AliasView | undefined): string {
  return alias === undefined ? '-' : alias.text;
}

async function graphPanel(engine: string, version: number, panel: HTMLElement): Promise<void> {
  const model = await get<GraphModel>('graph', { engine, version: String(version) });
  const expanded = new Set<string>();
  const draw = (): void => {
    panel.replaceChildren(
      h('h3', {}, `${engine}@${version}`),
      drawGraph(model, {
        expanded,
        onToggle: (node) => {
          if (expanded.has(node.id)) expanded.delete(node.id);
          else expanded.add(node.id);
          draw();
        },
      }),
    );
  };
  draw();
}

async function engineDetail(name: string, main: HTMLElement, status: HTMLElement): Promise<void> {
  const detail = await get<EngineDetail>('engine', { engine: name });
  const graph = h('div', { class: 'panel', 'data-testid': 'version-graph' });
  const act = async (question: string, path: string, body: Record<string, unknown>): Promise<void> => {
    if (!(await confirmAction(question))) return;
    try {
      const alias = await post<AliasView>(path, body);
      status.replaceChildren(
        h('p', { class: 'ok', 'data-testid': 'action-result' }, `${name}: ${alias.text}`),
      );
    } catch (error) {
      status.replaceChildren(
        h(
          'p',
          { class: 'error', 'data-testid': 'action-result' },
          error instanceof Error ? error.message : String(error),
        ),
      );
    }
    await engineDetail(name, main, status);
  };
  const live = detail.live;
  const current = new Set(live?.targets.map((t) => t.version) ?? []);
  const rows = [...detail.versions].reverse().map((v) =>
    h(
      'tr',
      { 'data-testid': `version-${v.version}` },
      h('td', {}, String(v.version), current.has(v.version) ? h('span', { class: 'tag' }, 'live') : ''),
      h('td', {}, v.mode),
      h('td', {}, v.publishedAt),
      h('td', { class: 'mono' }, v.sha256.slice(0, 12)),
      h('td', {}, v.comment ?? ''),
      h(
        'td',
        { class: 'actions' },
        h(
          'button',
          { onclick: () => void graphPanel(name, v.version, graph), 'data-testid': `graph-${v.version}` },
          'Graph',
        ),
        h(
          'button',
          {
            onclick: () =>
              void act(`Point live of ${name} at version ${v.version} alone?`, 'promote', {
                engine: name,
                version: v.version,
              }),
            'data-testid': `promote-${v.version}`,
          },
          'Promote',
        ),
        h(
          'button',
          {
            onclick: () =>
              void act(`Send 10% of ${name}'s messages to version ${v.version}?`, 'canary', {
                engine: name,
                version: v.version,
                percent: 10,
              }),
            disabled: current.has(v.version),
            'data-testid': `canary-${v.version}`,
          },
          'Canary 10%',
        ),
      ),
    ),
  );
  const history = (live?.previous ?? []).map((targets, i) =>
    h(
      'li',
      {},
      `${i === 0 ? 'before the last move' : `${i + 1} moves ago`}: ${targets.map((t) => `${t.version} (${t.weight})`).join(', ')}`,
    ),
  );
  main.replaceChildren(
    h('p', {}, h('a', { href: '#/engines' }, '← all engines')),
    h('h2', {}, name),
    status,
    h(
      'div',
      { class: 'row' },
      h('p', { 'data-testid': 'live-alias' }, 'live: ', h('strong', {}, aliasText(live))),
      h(
        'button',
        {
          onclick: () =>
            void act(`Move live of ${name} back to where it pointed before its last move?`, 'rollback', {
              engine: name,
            }),
          disabled: (live?.previous.length ?? 0) === 0,
          'data-testid': 'rollback',
        },
        'Roll back',
      ),
    ),
    table(['Version', 'Mode', 'Published', 'sha256', 'Comment', ''], rows, 'versions'),
    h('h3', {}, 'Aliases'),
    table(
      ['Alias', 'Points at (weights)', 'Moved'],
      detail.aliases.map((a) =>
        h(
          'tr',
          { 'data-testid': `alias-${a.alias}` },
          h('td', {}, a.alias),
          h('td', {}, a.targets.map((t) => `${t.version} (${t.weight}%)`).join(', ')),
          h('td', {}, a.updatedAt),
        ),
      ),
      'aliases',
    ),
    h('h3', {}, 'Earlier targets of live'),
    history.length === 0
      ? h('p', { class: 'muted' }, 'none: live has not moved since it was set')
      : h('ul', {}, ...history),
    graph,
  );
  const shown = live?.targets.at(-1)?.version ?? detail.versions.at(-1)?.version;
  if (shown !== undefined) await graphPanel(name, shown, graph);
}

/** The Engines page; `#/engines/NAME` opens one engine. */
export async function enginesPage(main: HTMLElement, args: readonly string[]): Promise<undefined> {
  const [name] = args;
  if (name !== undefined && name !== '') {
    await engineDetail(name, main, h('div', { class: 'status' }));
    return undefined;
  }
  const engines = await get<EngineView[]>('engines');
  const rows = engines.map((e) =>
    h(
      'tr',
      { 'data-testid': `engine-${e.engine}` },
      h('td', {}, h('a', { href: `#/engines/${encodeURIComponent(e.engine)}` }, e.engine)),
      h('td', {}, String(e.latestVersion)),
      h('td', {}, aliasText(e.live)),
      h('td', {}, e.updatedAt),
      h('td', {}, h('a', { href: `#/executions?engine=${encodeURIComponent(e.engine)}` }, 'executions')),
    ),
  );
  main.replaceChildren(
    h('h2', {}, 'Engines'),
    engines.length === 0
      ? h('p', { class: 'muted' }, 'No engine is published yet: router engine publish FILE.')
      : table(['Engine', 'Latest', 'Live alias', 'Updated', ''], rows, 'engines'),
  );
  return undefined;
}
