/**
 * Renders an engine graph as a Mermaid flowchart, so engine authors see the workflow they wrote (in a pull
 * request, a README or the CLI) without a Step Functions console. State names may contain any character,
 * so nodes get generated ids and names only appear inside escaped labels. Both query languages read the
 * same way: a Choice edge carries its JSONPath rule or its JSONata Condition, the variables a state (or a
 * Choice rule, or a Catcher) assigns are noted, and a state in the other language than its machine's says
 * which it is.
 */
import type { ChoiceRule, EngineGraph, JsonValue, QueryLanguage, State, StateMachine } from './types.ts';

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

/**
 * Cuts a text to `max` characters with an ellipsis, at a space when one falls in its last quarter, so an
 * expression loses whole words rather than half a name.
 */
function shorten(text: string, max = 40): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${space >= (max * 3) / 4 ? cut.slice(0, space) : cut}…`;
}

/** A JSONata Condition as it reads: the expression without its `{% %}`, on one line. */
function conditionText(condition: boolean | string): string {
  if (typeof condition === 'boolean') return String(condition);
  const inner = /^\s*\{%([\s\S]*)%\}\s*$/.exec(condition)?.[1] ?? condition;
  return inner.replace(/\s+/g, ' ').trim();
}

/** `assigns a, b`: the variables an Assign sets (an Assign written as one expression names none). */
function assignNote(assign: JsonValue | undefined): string | undefined {
  if (assign === undefined) return undefined;
  if (assign === null || typeof assign !== 'object' || Array.isArray(assign)) return 'assigns (expression)';
  // A JSONPath Assign marks a path value with `.$` on its key; the variable is the name before it.
  const names = Object.keys(assign).map((key) => (key.endsWith('.$') ? key.slice(0, -2) : key));
  return names.length === 0 ? undefined : `assigns ${names.join(', ')}`;
}

/** An edge label: its own text cut to length, then the Assign note of the rule or Catcher, if any. */
function edgeLabel(text: string, assign: JsonValue | undefined): string {
  const note = assignNote(assign);
  const shown = shorten(text);
  return label(note === undefined ? shown : `${shown} · ${shorten(note, 30)}`);
}

/** Fields of a Choice rule that are not its comparison operator. */
const RULE_FIELDS: ReadonlySet<string> = new Set(['Variable', 'Next', 'Comment', 'Assign', 'Output']);

const OPERATOR_SYMBOLS: ReadonlyArray<readonly [string, string]> = [
  ['GreaterThanEquals', '>='],
  ['LessThanEquals', '<='],
  ['GreaterThan', '>'],
  ['LessThan', '<'],
  ['Equals', '=='],
  ['Matches', 'matches'],
];

/**
 * A short human reading of a Choice rule: `$.kind == "order"`, `not(...)`, `(a and b)`, or a JSONata
 * rule's Condition (`$states.input.total > 100`).
 */
export function describeRule(rule: ChoiceRule): string {
  if (rule.Condition !== undefined) return conditionText(rule.Condition);
  if (rule.And !== undefined) return `(${rule.And.map(describeRule).join(' and ')})`;
  if (rule.Or !== undefined) return `(${rule.Or.map(describeRule).join(' or ')})`;
  if (rule.Not !== undefined) return `not ${describeRule(rule.Not)}`;
  const op = Object.keys(rule).find((k) => !RULE_FIELDS.has(k));
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

function nodeShape(id: string, name: string, state: State, language: QueryLanguage): string {
  const own = state.QueryLanguage;
  const kind = own !== undefined && own !== language ? `${state.Type} · ${own}` : state.Type;
  const note = assignNote(state.Assign);
  const assigns = note === undefined ? '' : `<br/><small>${label(shorten(note))}</small>`;
  const text = `"${label(name)}<br/><small>${kind}</small>${assigns}"`;
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
 * Renders the graph as `flowchart TD`: one node per state (labelled with its name and type, the variables
 * it assigns, and its query language when it is not the graph's), solid edges for Next / Choice rules
 * (the JSONPath rule or the JSONata Condition, cut to length) / Default, dashed edges for Catch (labelled
 * with the error names), a subgraph per Parallel branch and Map item processor, and start / end markers
 * for every scope.
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
  // Branches and item processors cannot name a language: they speak the graph's.
  const language: QueryLanguage = graph.QueryLanguage ?? 'JSONPath';

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
      lines.push(`${indent}${nodeShape(id, name, state, language)}`);
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
            edges.push(`${id} -->|"${edgeLabel(describeRule(rule), rule.Assign)}"| ${target}`);
        }
        const fallback = to(state.Default);
        if (fallback !== undefined) edges.push(`${id} -->|"default"| ${fallback}`);
      }
      if ('Catch' in state && state.Catch !== undefined) {
        for (const catcher of state.Catch) {
          const target = to(catcher.Next);
          if (target !== undefined) {
            edges.push(
              `${id} -.->|"${edgeLabel(catcher.ErrorEquals.join(', '), catcher.Assign)}"| ${target}`,
            );
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
