/**
 * `npm run bench`: runs every benchmark module in turn and prints all their figures as one table, so a
 * change's effect on start-up, throughput and latency is read in one place. Each module also runs alone.
 */
import { benchBundle } from './bundle.ts';
import { benchCompare } from './compare.ts';
import { benchConsole } from './console.ts';
import { benchDurable } from './durable.ts';
import { benchInterpreter } from './interpreter.ts';
import { benchLambdaHost } from './lambda-host.ts';
import { benchRouter } from './router.ts';
import { benchStack, type Figures } from './stack.ts';

/** The benchmarks `npm run bench` runs, in order. Add a module's entry here. */
export const BENCHMARKS: ReadonlyArray<{ readonly name: string; readonly run: () => Promise<Figures> }> = [
  { name: 'stack', run: benchStack },
  { name: 'interpreter', run: benchInterpreter },
  { name: 'lambda-host', run: benchLambdaHost },
  { name: 'bundle', run: benchBundle },
  { name: 'router', run: benchRouter },
  { name: 'compare', run: benchCompare },
  { name: 'durable', run: benchDurable },
  { name: 'console', run: benchConsole },
];

/** Lays figures out as a two-column text table. */
export function figureTable(rows: ReadonlyArray<readonly [name: string, value: number | string]>): string {
  const width = Math.max('figure'.length, ...rows.map(([name]) => name.length));
  const lines = [`${'figure'.padEnd(width)}  value`, `${'-'.repeat(width)}  -----`];
  for (const [name, value] of rows) lines.push(`${name.padEnd(width)}  ${value}`);
  return lines.join('\n');
}

const rows: Array<[string, number | string]> = [];
let failed = false;
for (const benchmark of BENCHMARKS) {
  const started = performance.now();
  try {
    const figures = await benchmark.run();
    rows.push(...Object.entries(figures));
    process.stderr.write(`bench ${benchmark.name}: ${Math.round(performance.now() - started)} ms\n`);
  } catch (error) {
    failed = true;
    rows.push([`${benchmark.name}.error`, error instanceof Error ? error.message : String(error)]);
  }
}
process.stdout.write(`${figureTable(rows)}\n`);
process.exitCode = failed ? 1 : 0;
