/**
 * The `*` wildcard shared by EventBridge's `wildcard` filter and the States Language's `StringMatches`.
 *
 * Both specify the same language: `*` matches any run of characters (none included), `\*` is a literal
 * star, `\\` a literal backslash, every other character stands for itself, and the whole value must
 * match. They differ in one rule only, which callers choose with {@link WildcardOptions}:
 *
 * - EventBridge (event-ruler) rejects two `*` in a row ("consecutive wildcard characters are not
 *   allowed");
 * - the States Language sets no such rule, so `**` is accepted and means the same as `*`.
 *
 * Both reject a backslash before any other character. Matching compares code points, never half of a
 * surrogate pair (AWS matches UTF-8 text, where a lone surrogate cannot occur), and runs in time
 * proportional to the pattern times the value: no regular expression, so no backtracking on values
 * that producers control.
 */
import { InputError } from '../errors.ts';

/** How a wildcard pattern is read; see the module comment for the rule each dialect follows. */
export interface WildcardOptions {
  /** `reject` for EventBridge's `wildcard` filter; `allow` for `StringMatches` (`**` acts as `*`). */
  readonly consecutiveStars: 'reject' | 'allow';
}

/** Why a wildcard pattern is invalid, and where (a UTF-16 offset into the pattern). */
export class WildcardSyntaxError extends InputError {
  override readonly name = 'WildcardSyntaxError';
  constructor(
    readonly kind: 'escape' | 'consecutive-stars',
    readonly offset: number,
  ) {
    super(
      kind === 'escape'
        ? `a backslash may only escape '*' or '\\' (offset ${offset})`
        : `two '*' in a row (offset ${offset})`,
    );
  }
}

/** A compiled wildcard: the literal runs between the stars (one run when there is no star). */
type Runs = readonly string[];

function split(pattern: string, options: WildcardOptions): Runs {
  const runs: string[] = [];
  let run = '';
  let lastStar = -2;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charAt(i);
    if (c === '\\') {
      const next = pattern.charAt(i + 1);
      if (next !== '*' && next !== '\\') throw new WildcardSyntaxError('escape', i);
      run += next;
      i++;
    } else if (c === '*') {
      if (lastStar === i - 1) {
        if (options.consecutiveStars === 'reject') throw new WildcardSyntaxError('consecutive-stars', i - 1);
      } else {
        runs.push(run);
        run = '';
      }
      lastStar = i;
    } else run += c;
  }
  runs.push(run);
  return runs;
}

function isHigh(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLow(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** true when a boundary at `index` would cut a surrogate pair in two. */
function splitsPair(value: string, index: number): boolean {
  return (
    index > 0 && index < value.length && isHigh(value.charCodeAt(index - 1)) && isLow(value.charCodeAt(index))
  );
}

/**
 * Whether a literal run can meet a surrogate pair half-way: only when it starts with a low surrogate or
 * ends with a high one. Otherwise any place it matches is on code-point boundaries already.
 */
function mayCutPair(run: string): boolean {
  return isLow(run.charCodeAt(0)) || isHigh(run.charCodeAt(run.length - 1));
}

/** The leftmost place at or after `from` where `run` fits before `end` on code-point boundaries, or -1. */
function find(value: string, run: string, from: number, end: number, checkPairs: boolean): number {
  for (
    let at = value.indexOf(run, from);
    at >= 0 && at + run.length <= end;
    at = value.indexOf(run, at + 1)
  ) {
    if (!checkPairs || (!splitsPair(value, at) && !splitsPair(value, at + run.length))) return at;
  }
  return -1;
}

/**
 * Greedy matching: the first run is a prefix, the last a suffix, and each run between them is placed
 * as far left as it fits. For patterns made of literals and `*` only, the leftmost placement never
 * loses a match that a later one would find.
 */
function matcher(runs: Runs): (value: string) => boolean {
  const first = runs[0] ?? '';
  if (runs.length === 1) return (value) => value === first;
  const last = runs[runs.length - 1] ?? '';
  const middle = runs
    .slice(1, -1)
    .filter((run) => run !== '')
    .map((run) => ({ run, checkPairs: mayCutPair(run) }));
  const fixed = first.length + last.length;
  const checkFirst = mayCutPair(first);
  const checkLast = mayCutPair(last);
  return (value) => {
    const end = value.length - last.length;
    if (value.length < fixed || !value.startsWith(first) || !value.endsWith(last)) return false;
    if ((checkFirst && splitsPair(value, first.length)) || (checkLast && splitsPair(value, end)))
      return false;
    let at = first.length;
    for (const { run, checkPairs } of middle) {
      const found = find(value, run, at, end, checkPairs);
      if (found < 0) return false;
      at = found + run.length;
    }
    return true;
  };
}

/**
 * Compiles a wildcard pattern once into a predicate on strings.
 *
 * @example
 * const isInvoice = compileWildcard('invoice-*.pdf', { consecutiveStars: 'reject' });
 * isInvoice('invoice-2026.pdf'); // true
 * compileWildcard('log-\\*', { consecutiveStars: 'allow' })('log-*'); // true: an escaped star is literal
 * @throws WildcardSyntaxError for a backslash before anything but `*` or `\`, or (when rejected) `**`.
 */
export function compileWildcard(pattern: string, options: WildcardOptions): (value: string) => boolean {
  return matcher(split(pattern, options));
}
