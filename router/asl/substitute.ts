/**
 * `${Name}` placeholders, replaced at publish from a per-stage variables file, as CloudFormation's
 * DefinitionSubstitutions do, so one graph serves every stage (function ARNs, table names, account ids).
 * Only `${Identifier}` is a placeholder: `.$` keys, `$.x` paths and `$$` context paths are left alone, and
 * `$${...}` is an escape for a literal `${...}`.
 */
import { parseGraphSource, pointerJoin } from './parse.ts';
import type { GraphProblem } from './types.ts';

/** Per-stage values for `${Name}` placeholders. */
export type Variables = Readonly<Record<string, string | number | boolean>>;

/** Where substitution found problems, and how to locate them. */
export interface SubstituteOptions {
  readonly file?: string;
  readonly positionOf?: (path: string) => { line: number; column: number } | undefined;
}

const PLACEHOLDER = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
const WHOLE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/**
 * Replaces placeholders in every string value (keys are left as written). A string that is exactly one
 * placeholder takes the variable's own type, so `TimeoutSeconds: ${Timeout}` becomes a number.
 *
 * @example
 * substituteVariables({ Resource: '${Fn}' }, { Fn: 'arn:aws:lambda:...' }).value; // { Resource: 'arn:aws:lambda:...' }
 */
export function substituteVariables(
  value: unknown,
  variables: Variables,
  options: SubstituteOptions = {},
): { value: unknown; problems: GraphProblem[] } {
  const problems: GraphProblem[] = [];
  const has = (name: string): boolean => Object.hasOwn(variables, name);
  const report = (path: string, name: string): void => {
    const position = options.positionOf?.(path);
    problems.push({
      path,
      message: `unknown variable '\${${name}}' (not in the variables file)`,
      ...(options.file === undefined ? {} : { file: options.file }),
      ...(position === undefined ? {} : { line: position.line, column: position.column }),
    });
  };
  const walk = (node: unknown, path: string): unknown => {
    if (typeof node === 'string') {
      if (!node.includes('${')) return node;
      const whole = WHOLE.exec(node);
      if (whole?.[1] !== undefined) {
        const name = whole[1];
        if (has(name)) return variables[name];
        report(path, name);
        return node;
      }
      return node.replace(PLACEHOLDER, (match, name: string | undefined) => {
        if (name === undefined) return '${';
        if (has(name)) return String(variables[name]);
        report(path, name);
        return match;
      });
    }
    if (Array.isArray(node)) return node.map((item, index) => walk(item, pointerJoin(path, index)));
    if (node !== null && typeof node === 'object') {
      return Object.fromEntries(
        Object.entries(node).map(([key, item]) => [key, walk(item, pointerJoin(path, key))]),
      );
    }
    return node;
  };
  const result = walk(value, '');
  return { value: result, problems };
}

/**
 * Reads a variables file (HJSON or JSON object of name -> string | number | boolean), reporting every
 * entry that is not a valid name or has another type.
 */
export function parseVariables(
  source: string,
  file?: string,
): { variables: Variables; problems: GraphProblem[] } {
  const parsed = parseGraphSource(source, file);
  const problems = [...parsed.problems];
  const variables: Record<string, string | number | boolean> = {};
  const at = (path: string, message: string): GraphProblem => {
    const position = parsed.positionOf(path);
    return {
      path,
      message,
      ...(file === undefined ? {} : { file }),
      ...(position === undefined ? {} : { line: position.line, column: position.column }),
    };
  };
  if (parsed.value === undefined) return { variables, problems };
  if (parsed.value === null || typeof parsed.value !== 'object' || Array.isArray(parsed.value)) {
    problems.push(at('', 'a variables file must be an object of name -> string, number or boolean'));
    return { variables, problems };
  }
  for (const [name, item] of Object.entries(parsed.value)) {
    const path = pointerJoin('', name);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      problems.push(at(path, `variable name '${name}' is not an identifier`));
    } else if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') {
      variables[name] = item;
    } else {
      problems.push(at(path, `variable '${name}' must be a string, number or boolean`));
    }
  }
  return { variables, problems };
}
