/** A few DOM helpers: elements built from a tag, attributes and children, text always as text. */

type Child = Node | string | number | null | undefined | false;
type Attributes = Record<string, string | number | boolean | ((event: Event) => void) | undefined>;

/** Creates an element; `on*` attributes become listeners, `false`/`undefined` ones are left out. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

/** Creates an SVG element. */
export function svg(
  tag: string,
  attributes: Record<string, string | number> = {},
  ...children: (Node | string)[]
): SVGElement {
  const element = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  for (const child of children) element.append(child);
  return element;
}

/** A JSON value, pretty-printed in a `<pre>`. */
export function jsonBlock(value: unknown, testId?: string): HTMLElement {
  return h(
    'pre',
    { class: 'json', 'data-testid': testId },
    value === undefined ? '(not recorded)' : JSON.stringify(value, null, 2),
  );
}

/** A duration in ms as people read it. */
export function duration(ms: number | undefined): string {
  if (ms === undefined) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** A table with a header row and one row per item. */
export function table(
  headers: readonly string[],
  rows: readonly HTMLTableRowElement[],
  testId?: string,
): HTMLTableElement {
  return h(
    'table',
    { 'data-testid': testId },
    h('thead', {}, h('tr', {}, ...headers.map((name) => h('th', {}, name)))),
    h('tbody', {}, ...rows),
  );
}

/** Asks before a write: resolves true when the operator confirms in the console's own dialog. */
export function confirmAction(question: string): Promise<boolean> {
  return new Promise((resolve) => {
    const dialog = h('dialog', { 'data-testid': 'confirm-dialog' });
    const answer = (yes: boolean) => () => {
      dialog.close();
      dialog.remove();
      resolve(yes);
    };
    dialog.append(
      h('p', {}, question),
      h(
        'div',
        { class: 'actions' },
        h('button', { onclick: answer(false), 'data-testid': 'confirm-no' }, 'Cancel'),
        h('button', { class: 'primary', onclick: answer(true), 'data-testid': 'confirm-yes' }, 'Confirm'),
      ),
    );
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** The address of an execution's page; its dedup key lets the server read it with one GetItem. */
export function executionHref(executionId: string, dedupKey: string): string {
  return `#/execution/${encodeURIComponent(executionId)}?key=${encodeURIComponent(dedupKey)}`;
}

/** A status badge. */
export function badge(status: string): HTMLElement {
  return h('span', { class: `badge status-${status.toLowerCase()}` }, status);
}
