import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatProblems, GraphError, loadGraph, loadGraphFile } from '../../../../router/asl/load.ts';

const fixture = (name: string): string =>
  new URL(`../../../fixtures/graphs/${name}`, import.meta.url).pathname;

describe('loadGraph', () => {
  it('loads a valid graph', async () => {
    const { graph, problems } = await loadGraphFile(fixture('orders.hjson'), {
      allowlist: ['arn:aws:lambda:*:*:function:seed004-*', 'arn:aws:states:::lambda:invoke'],
    });
    expect(problems).toEqual([]);
    expect(graph?.Engine).toBe('orders');
    expect(Object.keys(graph?.States ?? {})).toContain('Kind?');
  });

  it('reports every problem of a broken graph with file, line and column', async () => {
    // Act
    const { graph, problems } = await loadGraphFile(fixture('broken.hjson'), {
      allowlist: ['arn:aws:lambda:*:*:function:seed004-*'],
    });

    // Assess
    expect(graph).toBeUndefined();
    const file = fixture('broken.hjson');
    expect(formatProblems(problems).split('\n')).toEqual([
      `${file}:7:7: /States/First/Next: state 'First': 'Next' names state 'Missing', which does not exist in this scope`,
      `${file}:6:7: /States/First/Resource: state 'First': resource 'arn:aws:lambda:us-east-1:000000000000:function:other-thing' is not in the resource allowlist`,
      `${file}:8:7: /States/First/HeartbeatSeconds: state 'First': 'HeartbeatSeconds' (30) must be less than 'TimeoutSeconds' (10)`,
      `${file}:11:40: /States/Orphan/Extra: state 'Orphan': unknown field 'Extra' in a Pass state`,
      `${file}:11:5: /States/Orphan: state 'Orphan': state 'Orphan' is not reachable from StartAt`,
      `${file}:3:3: /States: no terminal state is reachable (End: true, Succeed or Fail)`,
    ]);
  });

  it('adds the quoteless hint to a problem with a value that took the rest of its line', () => {
    // Prepare
    const source = [
      'StartAt: Work',
      'States: {',
      '  Work: {',
      '    Type: Task',
      '    Resource: arn:aws:lambda:us-east-1:123456789012:function:work',
      '    Catch: [',
      '      {',
      '        ErrorEquals: ["X"]',
      '        Next: Rejected } ]',
      '      }',
      '    ]',
      '    End: true',
      '  }',
      '  Rejected: { "Type": "Fail" }',
      '}',
    ].join('\n');

    // Act
    const { graph, problems } = loadGraph(source, { file: 'orders.hjson' });

    // Assess
    expect(graph).toBeUndefined();
    expect(formatProblems(problems).split('\n')).toEqual([
      "orders.hjson:9:9: /States/Work/Catch/0/Next: state 'Work': 'Next' names state 'Rejected } ]', which does not exist in this scope (hint: a quoteless value runs to the end of the line: put the object on several lines or quote the value)",
      "orders.hjson:14:3: /States/Rejected: state 'Rejected': state 'Rejected' is not reachable from StartAt",
    ]);
  });

  it('substitutes stage variables before validating', () => {
    // Prepare
    const source = readFileSync(fixture('staged.hjson'), 'utf8');

    // Act
    const loaded = loadGraph(source, {
      variables: {
        StepArn: 'arn:aws:lambda:us-east-1:000000000000:function:seed004-step-dev',
        StepTimeout: 30,
        Stage: 'dev',
      },
    });
    const missing = loadGraph(source, { file: 'staged.hjson', variables: { StepTimeout: 30, Stage: 'dev' } });

    // Assess
    expect(loaded.problems).toEqual([]);
    expect(loaded.graph?.States.Step).toMatchObject({
      TimeoutSeconds: 30,
      Parameters: { stage: 'dev', label: `run-dev-\${literal}` },
    });
    expect(formatProblems(missing.problems)).toBe(
      `staged.hjson:6:7: /States/Step/Resource: unknown variable '\${StepArn}' (not in the variables file)`,
    );
  });

  it('stops at syntax errors', () => {
    const { graph, problems } = loadGraph('{ StartAt: A\n  States: [ }', { file: 'x.hjson' });
    expect(graph).toBeUndefined();
    expect(formatProblems(problems)).toBe(
      "x.hjson:2:13: /States/0: syntax: found '}' where a value was expected",
    );
  });

  it('parses and validates a 200-state graph of Tasks with retries and intrinsic parameters', () => {
    // Prepare (how long this takes is `bench/interpreter.ts`'s figure, not a test's: CPU time too
    // moves with what else a shared machine runs)
    const states: Record<string, unknown> = {};
    for (let i = 0; i < 200; i++) {
      states[`S${i}`] = {
        Type: 'Task',
        Resource: 'arn:aws:lambda:us-east-1:000000000000:function:seed004-a',
        Parameters: { 'x.$': '$.x', 'y.$': "States.Format('{}', $.y)" },
        Retry: [{ ErrorEquals: ['States.ALL'] }],
        ...(i < 199 ? { Next: `S${i + 1}` } : { End: true }),
      };
    }
    const source = JSON.stringify({ StartAt: 'S0', States: states }, null, 2);

    // Act
    const loaded = loadGraph(source, { allowlist: ['arn:aws:lambda:*'] });

    // Assess
    expect(loaded.problems).toEqual([]);
    expect(Object.keys(loaded.graph?.States ?? {})).toHaveLength(200);
  });
});

describe('GraphError', () => {
  it('carries the problems and lists them in its message', () => {
    const error = new GraphError([
      { path: '/StartAt', message: "missing required field 'StartAt'", file: 'g.hjson' },
    ]);
    expect(error.problems).toHaveLength(1);
    expect(error.name).toBe('GraphError');
    expect(error.message).toBe(
      "invalid engine graph (1 problem):\ng.hjson: /StartAt: missing required field 'StartAt'",
    );
  });
});
