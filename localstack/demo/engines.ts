/**
 * The engines the demo publishes: every graph file in `engines/`, grouped by engine name. Files named
 * `NAME.vX.Y.hjson` are successive versions of one engine; the demo publishes the first at start and the
 * later ones while events flow, to show a hot swap.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadGraph, parseVariables, type Variables } from '../../router/asl/index.ts';

/** One graph file of an engine. */
export interface EngineFile {
  readonly engine: string;
  readonly file: string;
  readonly source: string;
  /** Sort key from the `.vX.Y` suffix; 0 when the file has none. */
  readonly order: number[];
}

function versionOrder(file: string): number[] {
  const match = /\.v(\d+(?:\.\d+)*)\.(?:hjson|json)$/i.exec(file);
  return match?.[1] === undefined ? [0] : match[1].split('.').map(Number);
}

function compareOrder(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i += 1) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Reads a stage's variables file (`engines/vars/STAGE.hjson`). */
export async function readStageVariables(dir: string, stage: string): Promise<Variables> {
  const file = join(dir, 'vars', `${stage}.hjson`);
  const { variables, problems } = parseVariables(await readFile(file, 'utf8'), file);
  if (problems.length > 0)
    throw new Error(`${file}: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  return variables;
}

/** Every engine graph in `dir`, grouped by engine name, versions in order. */
export async function discoverEngines(dir: string, variables: Variables): Promise<Map<string, EngineFile[]>> {
  const names = (await readdir(dir)).filter((f) => /\.(hjson|json)$/i.test(f)).sort();
  const engines = new Map<string, EngineFile[]>();
  for (const name of names) {
    const file = join(dir, name);
    const source = await readFile(file, 'utf8');
    const { graph } = loadGraph(source, { file, variables });
    const engine = graph?.Engine ?? name.replace(/(\.v\d+(\.\d+)*)?\.(hjson|json)$/i, '');
    const list = engines.get(engine) ?? [];
    list.push({ engine, file, source, order: versionOrder(name) });
    engines.set(engine, list);
  }
  for (const list of engines.values()) list.sort((a, b) => compareOrder(a.order, b.order));
  return engines;
}
