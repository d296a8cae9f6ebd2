/**
 * The console's browser code, built from `ui/` and npm packages (dagre) by esbuild into one script held
 * in memory: nothing is fetched from a CDN, so the console works offline, and nothing generated is kept
 * in the tree.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The page's assets. */
export interface ConsoleAssets {
  readonly script: string;
  readonly style: string;
}

const UI = join(import.meta.dirname, 'ui');

/** Bundles `ui/main.ts` for the browser and reads the style sheet (about 100 ms, once per server). */
export async function buildAssets(): Promise<ConsoleAssets> {
  const { build } = await import('esbuild');
  const [result, style] = await Promise.all([
    build({
      entryPoints: [join(UI, 'main.ts')],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      minify: true,
      legalComments: 'none',
      logLevel: 'silent',
    }),
    readFile(join(UI, 'style.css'), 'utf8'),
  ]);
  const script = result.outputFiles[0]?.text;
  if (script === undefined) throw new Error(`console: esbuild produced no script from ${UI}/main.ts`);
  return { script, style };
}
