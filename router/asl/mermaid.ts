/**
 * Renders an engine graph as a Mermaid flowchart, so engine authors see the workflow they wrote (in a pull
 * request, a README or the CLI) without a Step Functions console. State names may contain any character,
 * so nodes get generated ids and names only appear inside escaped labels.
 */
import type { ChoiceRule, EngineGraph, State, StateMachine } from './types.ts';

/** Mermaid entity escapes for text inside a quoted label. */
function label(text: string): string {
  return text
    .replaceAll('#', '#35;')
    .replaceAll('`', '#96;')
    .replaceAll('&', '#amp;')
    .replaceAll('"', '#quot;')
    .replaceAll('<', '#lt;')
    .replaceAll('>', '#gt;')
    .replaceAll('|', '#124;')
    .replaceAll('\n', ' ');
}

function shorten(text: string, max = 40): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

const OPERATOR_SYMBOLS: ReadonlyArray<readonly [string, string]> = [
  ['GreaterThanEquals', '>='],
  ['LessThanEquals', '<='],
  ['GreaterThan', '>'],
  ['LessThan', '<'],
  ['Equals', '=='],
  ['Matches', 'matches'],
];

/** A short human reading of a Choice rule: `$.kind == "order"`, `not(...)`, `(a and b)`. */
export function describeRule(rule: ChoiceRule): string {
  if (rule.And !== undefined) return `(${rule.And.map(describeRule).join(' and ')})`;
  if (rule.Or !== undefined) return `(${rule.Or.map(describeRule).join(' or ')})`;
  if (rule.Not !== undefined) return `not ${describeRule(rule.Not)}`;
  const op = Object.keys(rule).find((k) => k !== 'Variable' && k !== 'Next' && k !== 'Comment');
  if (op === undefined) return String(rule.Variable ?? '?');
  const operand = rule[op];
  const variable = String(rule.Variable ?? '$');
  if (op.startsWith('Is'))
    return `${variable} ${operand === false ? 'is not' : 'is'} ${op.slice(2).toLowerCase()}`;
  const base = op.endsWith('Path') ? op.slice(0, -4) : op;
  const symbol = OPERATOR_SYMBOLS.find(([suffix]) => base.endsWith(suffix))?.[1] ?? base;
  const shown =
    typeof operand !== 'string' ? JSON.stringify(operand) : op.endsWith('Path') ? operand : `'${operand}'`;
  return `${variable} ${symbol} ${shown}`;
}

function nodeShape(id: string, name: string, state: State): string {
  const text = `"${label(name)}<br/><small>${state.Type}</small>"`;
  switch (state.Type) {
    case 'Choice':
      return `${id}{${text}}`;
    case 'Succeed':
    case 'Fail':
      return `${id}([${text}])`;
    case 'Parallel':
    case 'Map':
      return `${id}[[${text}]]`;
    default:
      return `${id}[${text}]`;
  }
}

/**
 * Renders the graph as `flowchart TD`: one node per state (labelled with its name and type), solid edges
 * for Next / Choice rules / Default, dashed edges for Catch (labelled with the error names), a subgraph
 * per Parallel branch and Map item processor, and start / end markers for every scope.
 *
 * @example
 * renderMermaid({ StartAt: 'A', States: { A: { Type: 'Succeed' } } });
 * // flowchart TD
 * //   n0_start((start))
 * //   n1(["A<br/><small>Succeed</small>"])
 * //   ...
 */
export function renderMermaid(graph: EngineGraph): string {
  const lines: string[] = ['flowchart TD'];
  let counter = 0;
  const nextId = (): string => `n${counter++}`;

  const renderMachine = (machine: StateMachine, indent: string): { start: string } => {
    const ids = new Map<string, string>();
    const startId = nextId();
    const endId = nextId();
    for (const name of Object.keys(machine.States)) ids.set(name, nextId());
    lines.push(`${indent}${startId}((start))`);
    const edges: string[] = [];
    let ends = false;
    const to = (name: string | undefined): string | undefined =>
      name === undefined ? undefined : ids.get(name);
    for (const [name, state] of Object.entries(machine.States)) {
      const id = ids.get(name) ?? nextId();
      lines.push(`${indent}${nodeShape(id, name, state)}`);
      if ('Next' in state && state.Next !== undefined) {
        const target = to(state.Next);
        if (target !== undefined) edges.push(`${id} --> ${target}`);
      }
      if (('End' in state && state.End === true) || state.Type === 'Succeed' || state.Type === 'Fail') {
        edges.push(`${id} --> ${endId}`);
        ends = true;
      }
      if (state.Type === 'Choice') {
        for (const rule of state.Choices) {
          const target = to(rule.Next);
          if (target !== undefined)
            edges.push(`${id} -->|"${label(shorten(describeRule(rule)))}"| ${target}`);
        }
        const fallback = to(state.Default);
        if (fallback !== undefined) edges.push(`${id} -->|"default"| ${fallback}`);
      }
      if ('Catch' in state && state.Catch !== undefined) {
        for (const catcher of state.Catch) {
          const target = to(catcher.Next);
          if (target !== undefined) {
            edges.push(`${id} -.->|"${label(shorten(catcher.ErrorEquals.join(', ')))}"| ${target}`);
          }
        }
      }
      if (state.Type === 'Parallel') {
        state.Branches.forEach((branch, index) => {
          const sub = nextId();
          lines.push(`${indent}subgraph ${sub}["${label(`${name}: branch ${index + 1}`)}"]`);
          const inner = renderMachine(branch, `${indent}  `);
          lines.push(`${indent}end`);
          edges.push(`${id} -.- ${inner.start}`);
        });
      }
      if (state.Type === 'Map') {
        const processor = state.ItemProcessor ?? state.Iterator;
        if (processor !== undefined) {
          const sub = nextId();
          lines.push(`${indent}subgraph ${sub}["${label(`${name}: for each item`)}"]`);
          const inner = renderMachine(processor, `${indent}  `);
          lines.push(`${indent}end`);
          edges.push(`${id} -.- ${inner.start}`);
        }
      }
    }
    if (ends) lines.push(`${indent}${endId}((end))`);
    const first = to(machine.StartAt);
    if (first !== undefined) edges.unshift(`${startId} --> ${first}`);
    for (const edge of edges) lines.push(`${indent}${edge}`);
    return { start: startId };
  };

  renderMachine(graph, '  ');
  return `${lines.join('\n')}\n`;
}
