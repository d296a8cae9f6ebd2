/**
 * Draws a graph model as SVG, laid out by dagre: a box per state (coloured by status when an execution
 * is shown), start and end markers, solid edges for Next / Choice / Default and dashed ones for Catch.
 * A Map or Parallel state expands in place into its item processor or branches, drawn as clusters.
 */
import dagre from '@dagrejs/dagre';
import type { GraphModel, GraphNode, StateStatus } from '../types.ts';
import { svg } from './dom.ts';

/** What to draw beyond the model. */
export interface DrawOptions {
  /** Status per node id; nodes absent are drawn plain (a version's graph) or as not reached. */
  readonly statuses?: ReadonlyMap<string, StateStatus>;
  /** Map and Parallel node ids drawn expanded. */
  readonly expanded: ReadonlySet<string>;
  readonly selected?: string;
  readonly onSelect?: (node: GraphNode) => void;
  readonly onToggle?: (node: GraphNode) => void;
}

const CLUSTER = 'cluster:';

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Lays out and draws the visible part of the graph. */
export function drawGraph(model: GraphModel, options: DrawOptions): SVGElement {
  const scopes = new Map(model.scopes.map((s) => [s.id, s]));
  const nodesById = new Map(model.nodes.map((n) => [n.id, n]));
  const visibleScope = (id: string): boolean => {
    if (id === '') return true;
    const scope = scopes.get(id);
    const owner = scope?.owner === undefined ? undefined : nodesById.get(scope.owner);
    return owner !== undefined && options.expanded.has(owner.id) && visibleScope(owner.scope);
  };
  const g = new dagre.graphlib.Graph({ compound: true, multigraph: true });
  g.setGraph({ rankdir: 'TB', nodesep: 28, ranksep: 36, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const scope of model.scopes) {
    if (scope.id === '' || !visibleScope(scope.id)) continue;
    g.setNode(CLUSTER + scope.id, { label: scope.label, width: 0, height: 0, paddingTop: 24 });
    const owner = scope.owner === undefined ? undefined : nodesById.get(scope.owner);
    if (owner !== undefined && owner.scope !== '') g.setParent(CLUSTER + scope.id, CLUSTER + owner.scope);
  }
  const shown = model.nodes.filter((n) => visibleScope(n.scope));
  for (const node of shown) {
    const marker = node.type === 'start' || node.type === 'end';
    g.setNode(node.id, {
      width: marker ? 34 : Math.max(120, cut(node.name, 28).length * 7.4 + 34),
      height: marker ? 34 : 46,
    });
    if (node.scope !== '') g.setParent(node.id, CLUSTER + node.scope);
  }
  const visible = new Set(shown.map((n) => n.id));
  model.edges.forEach((edge, index) => {
    if (!visible.has(edge.from) || !visible.has(edge.to)) return;
    const label = edge.label === undefined ? undefined : cut(edge.label, 26);
    g.setEdge(
      edge.from,
      edge.to,
      {
        kind: edge.kind,
        ...(label === undefined ? {} : { text: label, width: label.length * 6.2, height: 14 }),
      },
      `e${index}`,
    );
  });
  for (const node of shown) {
    if (!options.expanded.has(node.id)) continue;
    for (const child of node.children ?? []) {
      const start = `${child}/(start)`;
      if (visible.has(start)) g.setEdge(node.id, start, { kind: 'child' }, `c${child}`);
    }
  }
  dagre.layout(g);

  const layout = g.graph();
  const root = svg('svg', {
    class: 'graph',
    width: Math.ceil(layout.width ?? 200),
    height: Math.ceil(layout.height ?? 100),
    viewBox: `0 0 ${Math.ceil(layout.width ?? 200)} ${Math.ceil(layout.height ?? 100)}`,
    'data-testid': 'graph',
  });
  root.append(
    svg(
      'defs',
      {},
      svg(
        'marker',
        {
          id: 'arrow',
          viewBox: '0 0 10 10',
          refX: 9,
          refY: 5,
          markerWidth: 7,
          markerHeight: 7,
          orient: 'auto',
        },
        svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow' }),
      ),
    ),
  );
  for (const scope of model.scopes) {
    if (scope.id === '' || !visibleScope(scope.id)) continue;
    const c = g.node(CLUSTER + scope.id);
    if (c?.x === undefined || c.y === undefined) continue;
    root.append(
      svg(
        'g',
        { class: 'cluster' },
        svg('rect', { x: c.x - c.width / 2, y: c.y - c.height / 2, width: c.width, height: c.height, rx: 8 }),
        svg('text', { x: c.x - c.width / 2 + 8, y: c.y - c.height / 2 + 15 }, scope.label),
      ),
    );
  }
  for (const e of g.edges()) {
    const edge = g.edge(e) as {
      points?: { x: number; y: number }[];
      kind?: string;
      text?: string;
      x?: number;
      y?: number;
    };
    const points = edge.points ?? [];
    if (points.length === 0) continue;
    const d = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
    const group = svg(
      'g',
      { class: `edge edge-${edge.kind ?? 'next'}` },
      svg('path', { d, 'marker-end': 'url(#arrow)' }),
    );
    if (edge.text !== undefined && edge.x !== undefined && edge.y !== undefined)
      group.append(svg('text', { x: edge.x, y: edge.y + 4, 'text-anchor': 'middle' }, edge.text));
    root.append(group);
  }
  for (const node of shown) {
    const n = g.node(node.id);
    if (n?.x === undefined || n.y === undefined) continue;
    const status =
      options.statuses?.get(node.id) ?? (options.statuses === undefined ? 'plain' : 'not-reached');
    const marker = node.type === 'start' || node.type === 'end';
    const group = svg('g', {
      class: `node status-${marker ? 'marker' : status}${options.selected === node.id ? ' selected' : ''}`,
      'data-node': node.id,
      'data-status': marker ? 'marker' : status,
      'data-testid': marker ? `marker-${node.id}` : `node-${node.id}`,
    });
    if (marker) {
      group.append(
        svg('circle', { cx: n.x, cy: n.y, r: 15 }),
        svg('text', { x: n.x, y: n.y + 4, 'text-anchor': 'middle' }, node.type),
      );
    } else {
      group.append(
        svg('rect', {
          x: n.x - n.width / 2,
          y: n.y - n.height / 2,
          width: n.width,
          height: n.height,
          rx: node.type === 'Choice' ? 18 : 6,
        }),
        svg('text', { x: n.x, y: n.y - 3, 'text-anchor': 'middle', class: 'name' }, cut(node.name, 28)),
        svg(
          'text',
          { x: n.x, y: n.y + 13, 'text-anchor': 'middle', class: 'type' },
          `${node.type}${status === 'plain' ? '' : ` · ${status}`}`,
        ),
      );
      if (node.children !== undefined) {
        const open = options.expanded.has(node.id);
        const toggle = svg(
          'g',
          { class: 'toggle', 'data-testid': `toggle-${node.id}` },
          svg('rect', { x: n.x + n.width / 2 - 20, y: n.y - n.height / 2 + 3, width: 16, height: 16, rx: 3 }),
          svg(
            'text',
            { x: n.x + n.width / 2 - 12, y: n.y - n.height / 2 + 15, 'text-anchor': 'middle' },
            open ? '−' : '+',
          ),
        );
        toggle.addEventListener('click', (event) => {
          event.stopPropagation();
          options.onToggle?.(node);
        });
        group.append(toggle);
      }
      group.addEventListener('click', () => options.onSelect?.(node));
    }
    root.append(group);
  }
  return root;
}
