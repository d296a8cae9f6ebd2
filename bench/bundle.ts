/**
 * Router bundle benchmark: bundles the router entry with exactly the esbuild settings the CDK app
 * deploys (infra/bundling.ts), then reports the minified size (goal < 1 MiB) and the cold-start
 * initialisation time (goal < 150 ms): a fresh `node` process imports the bundle, which runs its
 * top-level init (SDK clients, logger, caches), median of ten runs, with and without source-map stack
 * traces. For comparison it also builds the variant with the AWS SDK left external (resolved from
 * node_modules at import, as Lambda would resolve the runtime's own SDK copy), the figures behind the
 * "bundle the SDK" decision in docs/deploy.md.
 *
 * Run alone: `node --import tsx bench/bundle.ts`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { esbuildOptions, REPO_ROOT, ROUTER_ENTRY, SOURCE_MAP_NODE_OPTIONS } from '../infra/bundling.ts';
import { median } from './stats.ts';

const RUNS = 10;
const SIZE_GOAL_BYTES = 1024 * 1024;
const INIT_GOAL_MS = 150;

/** The environment the deployed router starts with, so its top-level init takes the same paths. */
const ROUTER_ENV: Readonly<Record<string, string>> = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  ROUTER_STREAM: 'router-events',
  ROUTER_ENGINES_TABLE: 'router-engines',
  ROUTER_EXECUTIONS_TABLE: 'router-executions',
  ROUTER_BUCKET: 'router-engines',
  ROUTER_RESOURCE_ALLOWLIST: 'arn:aws:lambda:*:*:function:*',
  ROUTER_STAGE: 'bench',
  // Outside the local stage the router refuses to start without a secret; the deployed one reads it
  // from Secrets Manager, which this offline benchmark has none of.
  ROUTER_TASK_TOKEN_SECRET: 'bench-task-token-secret-0123456789abcdef',
  POWERTOOLS_SERVICE_NAME: 'router',
  POWERTOOLS_METRICS_NAMESPACE: 'KinesisEventRouter',
  LOG_LEVEL: 'WARN',
};

/**
 * The module to bundle: the router's Lambda entry, or, while it is not written yet, every runtime module
 * of router/ (the CLI excluded), so the figures still track what the router pulls in.
 */
function entryPoint(workDir: string): { file: string; label: string } {
  const handler = path.join(REPO_ROOT, ROUTER_ENTRY);
  if (existsSync(handler)) return { file: handler, label: ROUTER_ENTRY };
  const modules: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) {
        if (name !== 'cli') walk(full);
      } else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) {
        modules.push(full);
      }
    }
  };
  walk(path.join(REPO_ROOT, 'router'));
  const file = path.join(workDir, 'entry.ts');
  writeFileSync(file, modules.map((module, index) => `export * as m${index} from '${module}';`).join('\n'));
  return { file, label: `router/** (${ROUTER_ENTRY} not present yet: ${modules.length} modules)` };
}

/** Bytes per top-level package (or `project` for our own sources), largest first. */
function largestInputs(metafile: Metafile, count: number): string {
  const byPackage = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      const key = match?.[1] ?? 'project';
      byPackage.set(key, (byPackage.get(key) ?? 0) + bytesInOutput);
    }
  }
  return [...byPackage]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, bytes]) => `${name} ${(bytes / 1024).toFixed(0)} KiB`)
    .join(', ');
}

/** Wall-clock and CPU milliseconds of one import (CPU time says more on a busy machine). */
interface InitTiming {
  readonly wallMs: number;
  readonly cpuMs: number;
}

/** Imports the bundle in a fresh node process and returns how long its top-level init took. */
function coldStart(bundle: string, nodeOptions: string): InitTiming {
  const script =
    'const c = process.cpuUsage(); const t = performance.now(); const m = await import(process.argv[1]);' +
    'const wall = performance.now() - t; const cpu = process.cpuUsage(c);' +
    "if (typeof m.handler !== 'function' && Object.keys(m).length === 0) throw new Error('empty bundle');" +
    'process.stdout.write(JSON.stringify({ wallMs: wall, cpuMs: (cpu.user + cpu.system) / 1000 }));';
  const result = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', script, pathToFileURL(bundle).href],
    {
      env: { ...process.env, ...ROUTER_ENV, NODE_OPTIONS: nodeOptions },
      encoding: 'utf8',
    },
  );
  if (result.status !== 0) {
    throw new Error(`importing the bundle ${bundle} failed (exit ${result.status}): ${result.stderr.trim()}`);
  }
  const timing: unknown = JSON.parse(result.stdout);
  if (
    typeof timing !== 'object' ||
    timing === null ||
    !('wallMs' in timing) ||
    !('cpuMs' in timing) ||
    typeof timing.wallMs !== 'number' ||
    typeof timing.cpuMs !== 'number'
  ) {
    throw new Error(`importing the bundle ${bundle} printed no timing: ${result.stdout}`);
  }
  return { wallMs: timing.wallMs, cpuMs: timing.cpuMs };
}

/** Builds one variant and measures it. */
async function measure(
  entryFile: string,
  outfile: string,
  external: readonly string[],
): Promise<{
  bytes: number;
  metafile: Metafile;
  buildMs: number;
  initMs: number;
  initCpuMs: number;
  initMsSourceMaps: number;
}> {
  const options = esbuildOptions();
  const started = performance.now();
  const result = await build({
    ...options,
    external: [...options.external, ...external],
    entryPoints: [entryFile],
    outfile,
    metafile: true,
    logLevel: 'error',
  });
  const buildMs = performance.now() - started;
  const plain = Array.from({ length: RUNS }, () => coldStart(outfile, ''));
  const mapped = Array.from({ length: RUNS }, () => coldStart(outfile, SOURCE_MAP_NODE_OPTIONS));
  return {
    bytes: statSync(outfile).size,
    metafile: result.metafile,
    buildMs,
    initMs: median(plain.map((timing) => timing.wallMs)),
    initCpuMs: median(plain.map((timing) => timing.cpuMs)),
    initMsSourceMaps: median(mapped.map((timing) => timing.wallMs)),
  };
}

const round = (ms: number): number => Math.round(ms * 10) / 10;

/** Bundles the router as deployed and measures size and cold-start init; returns the figures (`bundle.*`). */
export async function benchBundle(): Promise<Record<string, number | string>> {
  // Inside the repository, so the external-SDK variant resolves @aws-sdk/* from node_modules.
  const scratch = path.join(REPO_ROOT, '.local');
  mkdirSync(scratch, { recursive: true });
  const workDir = mkdtempSync(path.join(scratch, 'bench-bundle-'));
  try {
    const entry = entryPoint(workDir);
    const deployed = await measure(entry.file, path.join(workDir, 'bundled', 'index.mjs'), []);
    const external = await measure(entry.file, path.join(workDir, 'external', 'index.mjs'), [
      '@aws-sdk/*',
      '@smithy/*',
    ]);
    return {
      'bundle.entry': entry.label,
      'bundle.bytes': deployed.bytes,
      'bundle.kiB': Math.round(deployed.bytes / 1024),
      'bundle.sizeGoal': deployed.bytes < SIZE_GOAL_BYTES ? 'met (< 1 MiB)' : 'MISSED (>= 1 MiB)',
      'bundle.largestInputs': largestInputs(deployed.metafile, 6),
      'bundle.buildMs': Math.round(deployed.buildMs),
      'bundle.initMsMedian': round(deployed.initMs),
      'bundle.initCpuMsMedian': round(deployed.initCpuMs),
      'bundle.initMsMedianWithSourceMaps': round(deployed.initMsSourceMaps),
      'bundle.initGoal': deployed.initMs < INIT_GOAL_MS ? 'met (< 150 ms)' : 'MISSED (>= 150 ms)',
      'bundle.externalSdkBundleKiB': Math.round(external.bytes / 1024),
      'bundle.externalSdkInitMsMedian': round(external.initMs),
      'bundle.externalSdkInitCpuMsMedian': round(external.initCpuMs),
      'bundle.loadAverage': os.loadavg()[0]?.toFixed(1) ?? 'n/a',
      'bundle.runs': RUNS,
      'bundle.node': process.version,
    };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const figures = await benchBundle();
  for (const [name, value] of Object.entries(figures)) console.log(`${name}: ${value}`);
}
