import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ENGINES_ALLOWLIST } from '../../../engines/allowlist.ts';
import { STEP_FUNCTIONS } from '../../../handlers/catalog.ts';
import { loadGraph } from '../../../router/asl/load.ts';
import { parseVariables } from '../../../router/asl/substitute.ts';
import type { EngineGraph, JsonValue } from '../../../router/asl/types.ts';
import { runRouterCli } from '../../support/cli.ts';

const ROOT = new URL('../../../', import.meta.url).pathname;

async function cli(argv: string[]): Promise<{ code: number; stdout: string }> {
  return runRouterCli(argv, { env: { ROUTER_RESOURCE_ALLOWLIST: ENGINES_ALLOWLIST.join(',') }, cwd: ROOT });
}

async function engineFiles(): Promise<string[]> {
  return (await readdir(`${ROOT}engines`)).filter((f) => f.endsWith('.hjson')).sort();
}

async function loadEngine(file: string, stage: 'local' | 'prod'): Promise<EngineGraph> {
  const { variables } = parseVariables(await readFile(`${ROOT}engines/vars/${stage}.hjson`, 'utf8'));
  const { graph, problems } = loadGraph(await readFile(`${ROOT}engines/${file}`, 'utf8'), {
    file,
    variables,
    allowlist: ENGINES_ALLOWLIST,
  });
  if (graph === undefined) throw new Error(JSON.stringify(problems));
  return graph;
}

/** Every Lambda function a graph calls, by name, from direct ARNs and `lambda:invoke` Parameters. */
function functionNames(value: JsonValue | EngineGraph): string[] {
  const names: string[] = [];
  const fromArn = (text: string): string => /:function:([^:]+)/.exec(text)?.[1] ?? text;
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(walk);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (record.Type === 'Task' && typeof record.Resource === 'string') {
      if (record.Resource.includes(':function:')) names.push(fromArn(record.Resource));
      const params = record.Parameters as Record<string, unknown> | undefined;
      if (record.Resource.includes(':lambda:invoke') && typeof params?.FunctionName === 'string') {
        names.push(fromArn(params.FunctionName));
      }
    }
    Object.values(record).forEach(walk);
  };
  walk(value);
  return names;
}

describe('the shipped engines', () => {
  it.each(['local', 'prod'])(
    'pass `router engine validate engines/*.hjson --vars engines/vars/%s.hjson`',
    async (stage) => {
      // Prepare
      const files = (await engineFiles()).map((f) => `engines/${f}`);

      // Act
      const result = await cli(['engine', 'validate', ...files, '--vars', `engines/vars/${stage}.hjson`]);

      // Assess
      expect(result.code).toBe(0);
      expect(result.stdout.trim().split('\n')).toEqual([
        'engines/batch-average.hjson: valid (7 states)',
        'engines/demo-flow.hjson: valid (10 states)',
        'engines/event-engine.v1.0.hjson: valid (4 states)',
        'engines/event-engine.v1.1.hjson: valid (5 states)',
        'engines/flow-types.hjson: valid (8 states)',
        'engines/order-enrichment.hjson: valid (6 states)',
        'engines/redshift-etl.hjson: valid (47 states)',
        'engines/sales-rollup.hjson: valid (5 states)',
        'engines/sql-collection-round.hjson: valid (5 states)',
        'engines/sql-collection.hjson: valid (11 states)',
        'engines/sql-query.hjson: valid (10 states)',
      ]);
    },
  );

  it('call only step functions the catalog serves, and every unscheduled one, once the local variables are substituted', async () => {
    // Prepare
    const catalog = new Set(STEP_FUNCTIONS.map((spec) => spec.name));
    const scheduled = STEP_FUNCTIONS.filter((spec) => spec.schedule !== undefined).map((spec) => spec.name);
    const called = new Set<string>();

    // Act
    for (const file of await engineFiles()) {
      for (const name of functionNames(await loadEngine(file, 'local'))) called.add(name);
    }

    // Assess
    expect([...called].filter((name) => !catalog.has(name))).toEqual([]);
    expect([...catalog].filter((name) => !called.has(name))).toEqual(scheduled);
    expect(scheduled).toEqual(['flow-types-reset-flow-type']);
  });

  it('name the prod-prefixed functions with the prod variables', async () => {
    // Act
    const names = functionNames(await loadEngine('batch-average.hjson', 'prod'));

    // Assess
    expect(names).toEqual([
      'prod-batch-average-retrieve-run-id',
      'prod-batch-average-write-to-db',
      'prod-batch-average-aggregate-and-store-value',
    ]);
  });

  it('carry a Match pattern on every ASL graph; both legacy versions are the one engine event-engine', async () => {
    // Act
    const graphs = await Promise.all(
      (await engineFiles()).map(async (f) => [f, await loadEngine(f, 'local')] as const),
    );

    // Assess
    for (const [file, graph] of graphs) {
      if (file.startsWith('event-engine.')) expect(graph.Engine).toBe('event-engine');
      else expect(graph.Match, file).toBeDefined();
    }
    const v10 = graphs.find(([f]) => f === 'event-engine.v1.0.hjson')?.[1];
    const v11 = graphs.find(([f]) => f === 'event-engine.v1.1.hjson')?.[1];
    expect(Object.keys(v11?.States ?? {}).filter((s) => !(s in (v10?.States ?? {})))).toEqual(['score']);
  });

  it('have a handler module exporting `handler` for every catalog entry', async () => {
    // Act
    const modules = await Promise.all(
      STEP_FUNCTIONS.map(
        async (spec) =>
          [
            spec.name,
            typeof ((await import(`${ROOT}${spec.entry}`)) as { handler?: unknown }).handler,
          ] as const,
      ),
    );

    // Assess
    expect(modules.filter(([, type]) => type !== 'function')).toEqual([]);
  });
});
