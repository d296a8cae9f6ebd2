/**
 * The one description of how Lambda code is bundled. The CDK app (NodejsFunction, local esbuild) and the
 * bundle benchmark (esbuild's API) both derive their options from `LAMBDA_BUNDLE`, so the size and the
 * cold start the benchmark measures are those of what `cdk deploy` ships.
 */
import { fileURLToPath } from 'node:url';
import { type BundlingOptions, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';

/** Repository root: entries in `handlers/catalog.ts` and the router entry are relative to it. */
export const REPO_ROOT: string = fileURLToPath(new URL('..', import.meta.url));

/** The router's Lambda entry module (exports `handler`), relative to the repository root. */
export const ROUTER_ENTRY = 'router/handler.ts';

/**
 * Some bundled CommonJS dependencies call `require('node:crypto')` and friends; an ESM bundle has no
 * `require`, so esbuild's shim would throw "Dynamic require ... is not supported". A `createRequire`
 * banner gives them one. The import is aliased so it cannot clash with a bundled identifier.
 */
const CREATE_REQUIRE_BANNER =
  "import { createRequire as __bundleCreateRequire } from 'node:module'; const require = __bundleCreateRequire(import.meta.url);";

/** Bundler settings shared by every function; see docs/deploy.md for the reasoning behind each. */
export interface LambdaBundleSettings {
  /** esbuild target; matches the Lambda runtime (Node.js 22). */
  readonly target: string;
  readonly minify: boolean;
  /** Linked `.map` files next to the bundle, without embedded sources (smaller asset). */
  readonly sourceMap: boolean;
  readonly sourcesContent: boolean;
  /** Prefer packages' ESM builds (`module`), which tree-shake far better than their CommonJS builds. */
  readonly mainFields: readonly string[];
  readonly banner: string;
  /**
   * Modules left out of the bundle. Not the AWS SDK v3: it is bundled, because a tree-shaken, minified SDK
   * in one file initialises faster than resolving the runtime's copy file by file, and its version is
   * then the one in our lockfile rather than whatever the Lambda runtime ships this month. Only ssh2's
   * optional native add-ons (`cpu-features`, `*.node`): ssh2 loads them in a try/catch and falls back to
   * Node's own crypto, and a bundle cannot carry a binary built for another machine anyway.
   */
  readonly external: readonly string[];
}

/**
 * `NODE_OPTIONS` that make stack traces point at TypeScript lines. Off by default on the router: Node then
 * parses the source map at load, which costs about 30 ms of cold start (bench/bundle.ts measures both).
 */
export const SOURCE_MAP_NODE_OPTIONS = '--enable-source-maps';

/** The settings every Lambda of this project is bundled with. */
export const LAMBDA_BUNDLE: LambdaBundleSettings = {
  target: 'node22',
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  mainFields: ['module', 'main'],
  banner: CREATE_REQUIRE_BANNER,
  external: ['cpu-features', '*.node'],
};

/** `LAMBDA_BUNDLE` as NodejsFunction bundling options: local esbuild only, never Docker. */
export function cdkBundlingOptions(settings: LambdaBundleSettings = LAMBDA_BUNDLE): BundlingOptions {
  return {
    target: settings.target,
    format: OutputFormat.ESM,
    minify: settings.minify,
    sourceMap: settings.sourceMap,
    ...(settings.sourceMap ? { sourceMapMode: SourceMapMode.DEFAULT } : {}),
    sourcesContent: settings.sourcesContent,
    mainFields: [...settings.mainFields],
    banner: settings.banner,
    bundleAwsSDK: true,
    externalModules: [...settings.external],
    forceDockerBundling: false,
    // JSONata graphs evaluate the jsonata library in a sandbox of their own, from its source text: the
    // bundle ships that file beside it (router/asl/expressions/jsonata/engine.ts reads it there).
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (inputDir: string, outputDir: string) => [
        `cp "${inputDir}/node_modules/jsonata/jsonata.js" "${outputDir}/jsonata.js"`,
      ],
    },
  };
}

/** The subset of esbuild's `BuildOptions` the benchmark passes (typed here so infra needs no esbuild types). */
export interface EsbuildOptions {
  readonly bundle: true;
  readonly platform: 'node';
  readonly format: 'esm';
  readonly target: string;
  readonly minify: boolean;
  readonly sourcemap: boolean;
  readonly sourcesContent: boolean;
  readonly mainFields: string[];
  readonly banner: { js: string };
  readonly external: string[];
}

/** `LAMBDA_BUNDLE` as esbuild API options, equivalent to the CLI flags NodejsFunction passes. */
export function esbuildOptions(settings: LambdaBundleSettings = LAMBDA_BUNDLE): EsbuildOptions {
  return {
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: settings.target,
    minify: settings.minify,
    sourcemap: settings.sourceMap,
    sourcesContent: settings.sourcesContent,
    mainFields: [...settings.mainFields],
    banner: { js: settings.banner },
    external: [...settings.external],
  };
}
