/**
 * The console's page: a navigation bar and one page at a time, chosen by the address's hash
 * (`#/engines`, `#/executions`, `#/execution/ID`, `#/quarantine`, `#/stream`, `#/cost`).
 */
import { h } from './dom.ts';
import { costPage } from './pages/cost.ts';
import { enginesPage } from './pages/engines.ts';
import { executionPage } from './pages/execution.ts';
import { executionsPage } from './pages/executions.ts';
import { quarantinePage } from './pages/quarantine.ts';
import { streamPage } from './pages/stream.ts';

/** A page: draws into `main`, returns what stops its refreshing when another page opens. */
export type Page = (
  main: HTMLElement,
  args: readonly string[],
  query: URLSearchParams,
) => Promise<(() => void) | undefined>;

const PAGES: Readonly<
  Record<string, { readonly title: string; readonly page: Page; readonly nav: boolean }>
> = {
  engines: { title: 'Engines', page: enginesPage, nav: true },
  executions: { title: 'Executions', page: executionsPage, nav: true },
  execution: { title: 'Execution', page: executionPage, nav: false },
  quarantine: { title: 'Quarantine', page: quarantinePage, nav: true },
  stream: { title: 'Stream', page: streamPage, nav: true },
  cost: { title: 'Cost', page: costPage, nav: true },
};

let stop: (() => void) | undefined;

async function show(): Promise<void> {
  const [path = '', search = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const [name = 'engines', ...args] = path.split('/').map(decodeURIComponent);
  const entry = PAGES[name] ?? PAGES.engines;
  if (entry === undefined) return;
  stop?.();
  stop = undefined;
  const nav = document.getElementById('nav');
  const main = document.getElementById('main');
  if (nav === null || main === null) return;
  nav.replaceChildren(
    h('span', { class: 'brand' }, 'router console'),
    ...Object.entries(PAGES)
      .filter(([, p]) => p.nav)
      .map(([key, p]) =>
        h(
          'a',
          { href: `#/${key}`, class: key === name ? 'active' : undefined, 'data-testid': `nav-${key}` },
          p.title,
        ),
      ),
  );
  main.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
  document.title = `${entry.title} · router console`;
  try {
    stop = await entry.page(main, args, new URLSearchParams(search));
  } catch (error) {
    main.replaceChildren(
      h(
        'p',
        { class: 'error', 'data-testid': 'page-error' },
        error instanceof Error ? error.message : String(error),
      ),
    );
  }
}

window.addEventListener('hashchange', () => {
  void show();
});
void show();
