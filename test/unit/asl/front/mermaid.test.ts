import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadGraph } from '../../../../router/asl/load.ts';
import { describeRule, renderMermaid } from '../../../../router/asl/mermaid.ts';
import type { EngineGraph } from '../../../../router/asl/types.ts';

function orders(): EngineGraph {
  const { graph, problems } = loadGraph(
    readFileSync(new URL('../../../fixtures/graphs/orders.hjson', import.meta.url), 'utf8'),
  );
  expect(problems).toEqual([]);
  if (graph === undefined) throw new Error('fixture orders.hjson does not load');
  return graph;
}

/** The node id Mermaid uses for a state, read back from its label. */
function idOf(text: string, name: string): string {
  const line = text.split('\n').find((l) => l.includes(`"${name}<br/>`));
  const id = line?.trim().match(/^(n\d+)/)?.[1];
  if (id === undefined) throw new Error(`no node for state '${name}'`);
  return id;
}

describe('renderMermaid', () => {
  it('draws states with their types, Next / Choice / Default edges and start and end markers', () => {
    // Act
    const text = renderMermaid(orders());

    // Assess
    const id = (name: string): string => idOf(text, name);
    expect(text.startsWith('flowchart TD\n')).toBe(true);
    expect(text).toContain(`${id('Validate')}["Validate<br/><small>Task</small>"]`);
    expect(text).toContain(`${id('Kind?')}{"Kind?<br/><small>Choice</small>"}`);
    expect(text).toContain(`${id('Done')}(["Done<br/><small>Succeed</small>"])`);
    expect(text).toContain(`${id('Validate')} --> ${id('Kind?')}`);
    expect(text).toContain(`${id('Kind?')} -->|"$.data.kind == 'bulk'"| ${id('Lines')}`);
    expect(text).toContain(`${id('Kind?')} -->|"default"| ${id('Notify')}`);
    expect(text).toMatch(new RegExp(`n\\d+\\(\\(start\\)\\)\\n[\\s\\S]*n\\d+ --> ${id('Validate')}\\n`));
    expect(text).toMatch(new RegExp(`${id('Done')} --> n\\d+\\n`));
  });

  it('draws Catch edges dashed with the error names and sub-machines as subgraphs', () => {
    // Act
    const text = renderMermaid(orders());

    // Assess
    const id = (name: string): string => idOf(text, name);
    expect(text).toContain(`${id('Validate')} -.->|"States.ALL"| ${id('Rejected')}`);
    expect(text).toMatch(/subgraph n\d+\["Lines: for each item"\]\n\s+n\d+\(\(start\)\)/);
    expect(text).toContain('subgraph');
    expect(text).toMatch(/subgraph n\d+\["Notify: branch 1"\]/);
    expect(text).toMatch(/subgraph n\d+\["Notify: branch 2"\]/);
    expect(text).toContain(`["Reserve<br/><small>Task</small>"]`);
  });

  it('never puts state names into ids and escapes them in labels', () => {
    // Prepare
    const graph: EngineGraph = {
      StartAt: 'a "b" <c> | end',
      States: {
        'a "b" <c> | end': { Type: 'Pass', Next: 'end' },
        end: { Type: 'Pass', Next: '#quot; `x`' },
        '#quot; `x`': { Type: 'Succeed' },
      },
    };

    // Act
    const text = renderMermaid(graph);

    // Assess
    expect(text).toContain('["a #quot;b#quot; #lt;c#gt; #124; end<br/><small>Pass</small>"]');
    expect(text).toContain('(["#35;quot; #96;x#96;<br/><small>Succeed</small>"])');
    for (const line of text.split('\n').slice(1)) {
      expect(line.trim()).toMatch(/^(n\d+|subgraph n\d+|end$|$)/);
    }
  });

  it('describes Choice rules briefly', () => {
    expect(describeRule({ Variable: '$.n', NumericGreaterThanEquals: 3 })).toBe('$.n >= 3');
    expect(describeRule({ Not: { Variable: '$.a', IsNull: true } })).toBe('not $.a is null');
    expect(
      describeRule({
        Or: [
          { Variable: '$.a', StringEqualsPath: '$.b' },
          { Variable: '$.c', BooleanEquals: false },
        ],
      }),
    ).toBe('($.a == $.b or $.c == false)');
  });
});

describe('renderMermaid: JSONata and variables', () => {
  const lambda = 'arn:aws:lambda:us-east-1:123456789012:function:f';

  it('labels JSONata Choice edges with their Condition, cut at a word when long', () => {
    // Prepare
    const graph: EngineGraph = {
      QueryLanguage: 'JSONata',
      StartAt: 'Route',
      States: {
        Route: {
          Type: 'Choice',
          Choices: [
            { Condition: '{% $states.input.total >= 500 %}', Next: 'Big' },
            {
              Condition:
                "{%\n  $states.input.customer.tier = 'gold' and $count($states.input.lines) > 10\n%}",
              Next: 'Big',
            },
            { Condition: true, Next: 'Small' },
          ],
        },
        Big: { Type: 'Succeed' },
        Small: { Type: 'Succeed' },
      },
    };

    // Act
    const text = renderMermaid(graph);

    // Assess
    const id = (name: string): string => idOf(text, name);
    expect(text).toContain(`${id('Route')} -->|"$states.input.total #gt;= 500"| ${id('Big')}`);
    expect(text).toContain(`${id('Route')} -->|"$states.input.customer.tier = 'gold'…"| ${id('Big')}`);
    expect(text).toContain(`${id('Route')} -->|"true"| ${id('Small')}`);
    expect(describeRule({ Condition: '{%   $a  and\n $b %}' })).toBe('$a and $b');
  });

  it('notes the variables a state, a Choice rule and a Catcher assign', () => {
    // Prepare
    const graph: EngineGraph = {
      StartAt: 'Start',
      States: {
        Start: { Type: 'Pass', Assign: { orderId: 'o-1', 'total.$': '$.total' }, Next: 'Check' },
        Check: {
          Type: 'Choice',
          Choices: [{ Variable: '$.total', Assign: { route: 'big' }, NumericGreaterThan: 9, Next: 'Work' }],
          Default: 'Work',
        },
        Work: {
          Type: 'Task',
          Resource: lambda,
          Catch: [{ ErrorEquals: ['States.ALL'], Assign: { failed: true }, Next: 'Work' }],
          End: true,
        },
      },
    };

    // Act
    const text = renderMermaid(graph);

    // Assess
    const id = (name: string): string => idOf(text, name);
    expect(text).toContain(
      `${id('Start')}["Start<br/><small>Pass</small><br/><small>assigns orderId, total</small>"]`,
    );
    expect(text).toContain(`${id('Check')} -->|"$.total #gt; 9 · assigns route"| ${id('Work')}`);
    expect(text).toContain(`${id('Work')} -.->|"States.ALL · assigns failed"| ${id('Work')}`);
    expect(text).toContain(`${id('Work')}["Work<br/><small>Task</small>"]`);
  });

  it('names the query language of a state only where it differs from the graph', () => {
    // Prepare
    const graph: EngineGraph = {
      QueryLanguage: 'JSONata',
      StartAt: 'Old',
      States: {
        Old: { Type: 'Pass', QueryLanguage: 'JSONPath', Parameters: { 'a.$': '$.a' }, Next: 'Same' },
        Same: { Type: 'Pass', QueryLanguage: 'JSONata', Assign: '{% {"a": 1} %}', Next: 'Plain' },
        Plain: { Type: 'Succeed' },
      },
    };
    const mixed: EngineGraph = {
      StartAt: 'New',
      States: { New: { Type: 'Pass', QueryLanguage: 'JSONata', Output: '{% 1 %}', End: true } },
    };

    // Act
    const text = renderMermaid(graph);

    // Assess
    expect(text).toContain('["Old<br/><small>Pass · JSONPath</small>"]');
    expect(text).toContain('["Same<br/><small>Pass</small><br/><small>assigns (expression)</small>"]');
    expect(text).toContain('(["Plain<br/><small>Succeed</small>"])');
    expect(renderMermaid(mixed)).toContain('["New<br/><small>Pass · JSONata</small>"]');
  });
});
