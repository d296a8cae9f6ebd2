/**
 * The seed-004 "simple dynamic Lambda workflow" format, compiled into an ordinary engine graph so the
 * original graphs keep running without a second interpreter.
 *
 * The original (`EventEngineGraph-v1.0.json` read by `EventEngine.java`) is a top-level `functionOutline`
 * list of single-key entries `{ LABEL: { arn, invoke, args, children } }`. Its runner walks the list in
 * order and, after each function returns, recurses into that function's `children` before moving on to
 * the next sibling: a depth-first, pre-order, strictly sequential walk (each call blocks, even `async`
 * ones), where any function error stops the whole run. Every call gets a payload built from the original
 * message's keys named in `args` (nothing else, and no payload when `args` is absent); results are only
 * printed. So the compiled graph is one sequential chain of Task states in that pre-order, not Parallel
 * states:
 *
 * ```
 * functionOutline: [ {f1: ...}, {f2: ..., children: [ {f2.1: ...} ]}, {f3: ...} ]
 *   => StartAt f1 -> f2 -> f2.1 -> f3 (End)
 * ```
 *
 * - `invoke: sync` (the default, as in the original) -> `Resource: <arn>` (direct Lambda invoke), with
 *   `ResultPath: $.<label>` so later steps can also see earlier results (the original discarded them).
 * - `invoke: async` -> `arn:aws:states:::lambda:invoke` with `InvocationType: Event` and `ResultPath: null`:
 *   the function is queued, not awaited (the original waited on a future; queueing is what "async" means
 *   for a Lambda invocation, and it keeps the router's batch short).
 * - `args: [k...]` -> `Parameters: { "k.$": "$.k" }`, picked from the execution input (the message), which
 *   the `ResultPath` placement leaves intact. One difference: the original silently skipped an arg the
 *   message lacked; the compiled state fails with `States.Runtime` naming the missing key.
 * - `name`, `version`, `region` -> `Engine` (the name) and `Comment`.
 */
import { pointerJoin } from './parse.ts';
import type { GraphProblem, JsonObject } from './types.ts';

/** Whether a parsed value is in the legacy form (has a top-level `functionOutline`). */
export function isLegacyGraph(value: unknown): value is { functionOutline: unknown } {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && 'functionOutline' in value;
}

/** The compiled graph, the problems found, and for each state the legacy entry it came from. */
export interface LegacyCompilation {
  readonly graph?: JsonObject;
  readonly problems: GraphProblem[];
  /** State name -> JSON pointer of its entry in the legacy source (to locate later problems). */
  readonly origins: ReadonlyMap<string, string>;
}

const TOP_LEVEL = new Set(['functionOutline', 'name', 'version', 'region']);
const ENTRY_FIELDS = new Set(['arn', 'invoke', 'args', 'children']);

/** A reference path to a top-level field, in dot form when the name allows it. */
function fieldPath(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name)
    ? `$.${name}`
    : `$['${name.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}']`;
}

interface Step {
  readonly label: string;
  readonly state: JsonObject;
}

/**
 * Compiles a `functionOutline` graph into an engine graph, reporting every malformed entry at once.
 *
 * @example
 * compileLegacyGraph({ functionOutline: [{ f1: { arn: 'arn:aws:lambda:eu-west-1:1:function:F1' } }] }).graph;
 * // { StartAt: 'f1', States: { f1: { Type: 'Task', Resource: 'arn:...:F1', Parameters: {}, ResultPath: '$.f1', End: true } } }
 */
export function compileLegacyGraph(value: unknown, file?: string): LegacyCompilation {
  const problems: GraphProblem[] = [];
  const origins = new Map<string, string>();
  const steps: Step[] = [];
  const report = (path: string, message: string): void => {
    problems.push({ path, message, ...(file === undefined ? {} : { file }) });
  };
  if (!isLegacyGraph(value)) {
    report('', 'a legacy graph must be an object with a functionOutline list');
    return { problems, origins };
  }
  const root = value as Record<string, unknown>;
  for (const key of Object.keys(root)) {
    if (!TOP_LEVEL.has(key))
      report(pointerJoin('', key), `unknown legacy field '${key}' (expected ${[...TOP_LEVEL].join(', ')})`);
  }
  for (const key of ['name', 'version', 'region']) {
    if (root[key] !== undefined && typeof root[key] !== 'string')
      report(`/${key}`, `'${key}' must be a string`);
  }

  const walk = (list: unknown, path: string): void => {
    if (!Array.isArray(list)) {
      report(path, 'must be a list of { LABEL: { arn, invoke, args, children } } entries');
      return;
    }
    list.forEach((entry: unknown, index) => {
      const entryPath = pointerJoin(path, index);
      if (
        entry === null ||
        typeof entry !== 'object' ||
        Array.isArray(entry) ||
        Object.keys(entry).length !== 1
      ) {
        report(entryPath, 'each entry must be an object with exactly one key, the step label');
        return;
      }
      const [label, body] = Object.entries(entry)[0] ?? ['', undefined];
      const bodyPath = pointerJoin(entryPath, label);
      if (body === null || typeof body !== 'object' || Array.isArray(body)) {
        report(bodyPath, `step '${label}' must be an object with arn, invoke, args, children`);
        return;
      }
      const fields = body as Record<string, unknown>;
      for (const key of Object.keys(fields)) {
        if (!ENTRY_FIELDS.has(key))
          report(pointerJoin(bodyPath, key), `step '${label}': unknown field '${key}'`);
      }
      if (origins.has(label)) report(bodyPath, `step label '${label}' is used twice (labels name states)`);
      const { arn, invoke = 'sync', args = [] } = fields;
      let ok = true;
      if (typeof arn !== 'string' || arn === '') {
        report(pointerJoin(bodyPath, 'arn'), `step '${label}': 'arn' must be a non-empty string`);
        ok = false;
      }
      if (invoke !== 'sync' && invoke !== 'async') {
        report(pointerJoin(bodyPath, 'invoke'), `step '${label}': 'invoke' must be 'sync' or 'async'`);
        ok = false;
      }
      if (!Array.isArray(args) || args.some((a) => typeof a !== 'string' || a === '')) {
        report(
          pointerJoin(bodyPath, 'args'),
          `step '${label}': 'args' must be a list of message keys (strings)`,
        );
        ok = false;
      }
      if (!origins.has(label)) origins.set(label, bodyPath);
      if (ok && typeof arn === 'string' && Array.isArray(args)) {
        const payload: JsonObject = Object.fromEntries(
          (args as string[]).map((key) => [`${key}.$`, fieldPath(key)]),
        );
        const state: JsonObject =
          invoke === 'async'
            ? {
                Type: 'Task',
                Resource: 'arn:aws:states:::lambda:invoke',
                Parameters: { FunctionName: arn, InvocationType: 'Event', Payload: payload },
                ResultPath: null,
              }
            : { Type: 'Task', Resource: arn, Parameters: payload, ResultPath: fieldPath(label) };
        steps.push({ label, state });
      }
      if (fields.children !== undefined) walk(fields.children, pointerJoin(bodyPath, 'children'));
    });
  };
  walk(root.functionOutline, '/functionOutline');
  if (problems.length === 0 && steps.length === 0) report('/functionOutline', 'functionOutline has no steps');
  if (problems.length > 0) return { problems, origins };

  const states: JsonObject = {};
  steps.forEach((step, index) => {
    const next = steps[index + 1];
    states[step.label] = { ...step.state, ...(next === undefined ? { End: true } : { Next: next.label }) };
  });
  const name = typeof root.name === 'string' ? root.name : undefined;
  const details = [
    name === undefined ? undefined : `'${name}'`,
    typeof root.version === 'string' ? `version ${root.version}` : undefined,
    typeof root.region === 'string' ? `region ${root.region}` : undefined,
  ].filter((part) => part !== undefined);
  const graph: JsonObject = {
    Comment: `Compiled from the functionOutline form${details.length > 0 ? `: ${details.join(', ')}` : ''}`,
    ...(name === undefined ? {} : { Engine: name }),
    StartAt: steps[0]?.label ?? '',
    States: states,
  };
  return { graph, problems, origins };
}
