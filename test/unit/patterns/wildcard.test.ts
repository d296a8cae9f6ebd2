import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compileWildcard,
  type WildcardOptions,
  WildcardSyntaxError,
} from '../../../router/patterns/index.ts';

const eventBridge: WildcardOptions = { consecutiveStars: 'reject' };
const states: WildcardOptions = { consecutiveStars: 'allow' };

function syntaxError(pattern: string, options = eventBridge): WildcardSyntaxError {
  try {
    compileWildcard(pattern, options);
  } catch (error) {
    if (error instanceof WildcardSyntaxError) return error;
    throw error;
  }
  throw new Error(`'${pattern}' compiled`);
}

describe('compileWildcard', () => {
  it.each<[string, string, boolean]>([
    ['invoice-*.pdf', 'invoice-2026.pdf', true],
    ['invoice-*.pdf', 'invoice-.pdf', true],
    ['invoice-*.pdf', 'invoice-2026.pdf.bak', false],
    ['*', '', true],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'aXbYbZc', true],
    ['a*b*c', 'acb', false],
    ['ab*ba', 'aba', false],
    ['ab*ba', 'abba', true],
    ['*/lib/*', 'src/lib/x.ts', true],
    ['exact', 'exact', true],
    ['exact', 'exactly', false],
    ['a.b', 'axb', false],
    ['(x)+[y]?', '(x)+[y]?', true],
    ['line*', 'line1\nline2', true],
    ['log-\\*', 'log-*', true],
    ['log-\\*', 'log-1', false],
    ['a\\\\b', 'a\\b', true],
    ['\\\\*', '\\anything', true],
  ])('%j on %j is %s', (pattern, value, expected) => {
    expect(compileWildcard(pattern, eventBridge)(value)).toBe(expected);
    expect(compileWildcard(pattern, states)(value)).toBe(expected);
  });

  it('rejects ** for EventBridge and reads it as * for StringMatches', () => {
    expect(syntaxError('a**b')).toMatchObject({ kind: 'consecutive-stars', offset: 1 });
    expect(syntaxError('a\\\\**')).toMatchObject({ kind: 'consecutive-stars', offset: 3 });
    expect(compileWildcard('a\\**', eventBridge)('a*b')).toBe(true);
    expect(compileWildcard('a**b', states)('aXYb')).toBe(true);
    expect(compileWildcard('***', states)('')).toBe(true);
  });

  it('refuses a backslash before anything but * or itself, in both dialects', () => {
    expect(syntaxError('a\\b').message).toBe("a backslash may only escape '*' or '\\' (offset 1)");
    expect(syntaxError('end\\', states)).toMatchObject({ kind: 'escape', offset: 3 });
  });

  it('compares code points: a lone surrogate in the pattern never matches half of a pair', () => {
    const emoji = '\u{1F600}';
    expect(compileWildcard('*\uDE00', eventBridge)(emoji)).toBe(false);
    expect(compileWildcard('\uD83D*', eventBridge)(emoji)).toBe(false);
    expect(compileWildcard('*\uDE00*', states)(`x${emoji}y`)).toBe(false);
    expect(compileWildcard('*\uDE00', states)('x\uDE00')).toBe(true);
    expect(compileWildcard(`*${emoji}*`, states)(`a${emoji}b`)).toBe(true);
  });

  it('stays linear on values that would make a backtracking regex explode', () => {
    const value = `${'a'.repeat(20_000)}c`;
    expect(compileWildcard('*a*a*a*a*a*a*b', eventBridge)(value)).toBe(false);
    expect(compileWildcard('*a*a*a*a*a*a*c', eventBridge)(value)).toBe(true);
  });

  it('agrees with an anchored, code-point regular expression on random patterns and values', () => {
    const alphabet = fc.constantFrom('a', 'b', '*', '\\*', '\\\\', '\u{1F600}', '\n');
    const patterns = fc.array(alphabet, { maxLength: 8 }).map((parts) => parts.join(''));
    const values = fc
      .array(fc.constantFrom('a', 'b', '*', '\\', '\u{1F600}', '\n'), { maxLength: 10 })
      .map((parts) => parts.join(''));
    const reference = (pattern: string): RegExp => {
      let source = '';
      for (let i = 0; i < pattern.length; i++) {
        const c = pattern.charAt(i);
        if (c === '\\') source += `\\${pattern.charAt(++i)}`;
        else if (c === '*') source += '.*';
        else source += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      }
      return new RegExp(`^${source}$`, 'su');
    };
    fc.assert(
      fc.property(patterns, values, (pattern, value) => {
        return compileWildcard(pattern, states)(value) === reference(pattern).test(value);
      }),
      { numRuns: 500 },
    );
  });
});
