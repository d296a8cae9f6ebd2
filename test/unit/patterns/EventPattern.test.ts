import { describe, expect, it } from 'vitest';
import type { JsonObject, JsonValue } from '../../../router/asl/types.ts';
import { compilePattern, PatternError } from '../../../router/patterns/index.ts';

const event: JsonObject = {
  specversion: '1.0',
  id: 'e-1',
  source: 'shop.orders',
  type: 'Order.Created',
  subject: 'order/42',
  data: {
    amount: 250,
    currency: 'EUR',
    express: true,
    note: null,
    tags: ['gift', 'priority'],
    items: [{ sku: 'A-1' }, { sku: 'B-2' }],
    ip: '10.0.1.17',
    file: 'invoice-2026.pdf',
  },
};

function matches(pattern: JsonValue, document: JsonObject = event): boolean {
  return compilePattern(pattern)(document);
}

describe('compilePattern', () => {
  it.each<[string, JsonObject, boolean]>([
    ['exact string', { type: ['Order.Created'] }, true],
    ['exact string, other value', { type: ['Order.Deleted'] }, false],
    ['list is OR', { type: ['x', 'Order.Created'] }, true],
    ['exact number', { data: { amount: [250] } }, true],
    ['exact number, other', { data: { amount: [251] } }, false],
    ['exact boolean', { data: { express: [true] } }, true],
    ['exact null', { data: { note: [null] } }, true],
    ['string does not equal number', { data: { amount: ['250'] } }, false],
    ['array value: any element', { data: { tags: ['priority'] } }, true],
    ['array of objects flattened', { data: { items: { sku: ['B-2'] } } }, true],
    ['nested miss', { data: { currency: ['USD'] } }, false],
    ['prefix', { source: [{ prefix: 'shop.' }] }, true],
    ['prefix miss', { source: [{ prefix: 'bank.' }] }, false],
    ['prefix ignore case', { type: [{ prefix: { 'equals-ignore-case': 'order.' } }] }, true],
    ['suffix', { data: { file: [{ suffix: '.pdf' }] } }, true],
    ['suffix miss', { data: { file: [{ suffix: '.png' }] } }, false],
    ['suffix ignore case', { data: { file: [{ suffix: { 'equals-ignore-case': '.PDF' } }] } }, true],
    ['anything-but value', { data: { currency: [{ 'anything-but': 'USD' }] } }, true],
    ['anything-but value miss', { data: { currency: [{ 'anything-but': 'EUR' }] } }, false],
    ['anything-but list', { data: { currency: [{ 'anything-but': ['USD', 'GBP'] }] } }, true],
    ['anything-but list miss', { data: { currency: [{ 'anything-but': ['USD', 'EUR'] }] } }, false],
    ['anything-but number', { data: { amount: [{ 'anything-but': [100, 200] }] } }, true],
    ['anything-but prefix', { source: [{ 'anything-but': { prefix: 'bank' } }] }, true],
    ['anything-but prefix miss', { source: [{ 'anything-but': { prefix: 'shop' } }] }, false],
    ['anything-but suffix miss', { data: { file: [{ 'anything-but': { suffix: '.pdf' } }] } }, false],
    [
      'anything-but ignore case miss',
      { data: { currency: [{ 'anything-but': { 'equals-ignore-case': 'eur' } }] } },
      false,
    ],
    ['anything-but needs the field', { data: { missing: [{ 'anything-but': 'x' }] } }, false],
    ['numeric range', { data: { amount: [{ numeric: ['>', 100, '<=', 250] }] } }, true],
    ['numeric range miss', { data: { amount: [{ numeric: ['>', 100, '<', 250] }] } }, false],
    ['numeric equals', { data: { amount: [{ numeric: ['=', 250] }] } }, true],
    ['numeric on a string', { data: { currency: [{ numeric: ['>', 0] }] } }, false],
    ['exists true', { subject: [{ exists: true }] }, true],
    ['exists true miss', { nothing: [{ exists: true }] }, false],
    ['exists false', { nothing: [{ exists: false }] }, true],
    ['exists false on a present field', { subject: [{ exists: false }] }, false],
    ['exists false under an absent parent', { data: { deep: { er: [{ exists: false }] } } }, true],
    ['equals-ignore-case', { type: [{ 'equals-ignore-case': 'order.created' }] }, true],
    ['equals-ignore-case miss', { type: [{ 'equals-ignore-case': 'order.deleted' }] }, false],
    ['wildcard', { subject: [{ wildcard: 'order/*' }] }, true],
    ['wildcard middle', { data: { file: [{ wildcard: 'invoice-*.pdf' }] } }, true],
    ['wildcard miss', { data: { file: [{ wildcard: 'receipt-*' }] } }, false],
    ['wildcard escaped star', { subject: [{ wildcard: 'order/\\*' }] }, false],
    ['cidr', { data: { ip: [{ cidr: '10.0.0.0/16' }] } }, true],
    ['cidr miss', { data: { ip: [{ cidr: '10.0.0.0/24' }] } }, false],
    ['several fields: AND', { type: ['Order.Created'], source: ['bank'] }, false],
    ['$or', { $or: [{ type: ['nope'] }, { data: { currency: ['EUR'] } }] }, true],
    ['$or miss', { $or: [{ type: ['nope'] }, { data: { currency: ['USD'] } }] }, false],
    [
      '$or with other fields',
      { source: ['shop.orders'], $or: [{ type: ['x'] }, { subject: ['order/42'] }] },
      true,
    ],
  ])('%s', (_name, pattern, expected) => {
    expect(matches(pattern)).toBe(expected);
  });

  it.each<[JsonValue, string]>([
    [[], 'pattern: must be a JSON object'],
    [{}, 'pattern: an empty object matches nothing'],
    [{ type: 'x' }, 'pattern.type: must be a list of values or a nested object'],
    [{ type: [] }, 'pattern.type: an empty list matches nothing'],
    [{ type: [{ prefx: 'a' }] }, "pattern.type[0]: unknown operator 'prefx'"],
    [{ type: [{ prefix: 'a', suffix: 'b' }] }, 'exactly one key'],
    [{ type: [{ prefix: 3 }] }, "'prefix' needs a string"],
    [{ n: [{ numeric: ['>', 'ten'] }] }, "'numeric' operator '>' needs a finite number"],
    [{ n: [{ numeric: ['~', 1] }] }, '\'numeric\' has unknown operator "~"'],
    [{ n: [{ numeric: ['>', 1, '>', 2] }] }, 'two lower bounds'],
    [{ n: [{ numeric: ['>'] }] }, 'pairs of operator and number'],
    [{ n: [{ exists: 'yes' }] }, "'exists' needs true or false"],
    [{ n: [{ wildcard: 'a**b' }] }, 'consecutive'],
    [{ n: [{ cidr: '10.0.0/8' }] }, "'cidr' needs an IPv4 CIDR block"],
    [
      { n: [{ 'anything-but': { numeric: ['>', 1] } }] },
      "'anything-but' does not support operator 'numeric'",
    ],
    [{ n: [{ 'anything-but': [] }] }, "'anything-but' needs at least one value"],
    [{ $or: [{ a: ['b'] }] }, '$or: needs a list of at least two pattern objects'],
    [{ n: [['nested']] }, 'nested arrays are not allowed'],
  ])('rejects %j', (pattern, message) => {
    expect(() => compilePattern(pattern)).toThrow(PatternError);
    expect(() => compilePattern(pattern)).toThrow(message);
  });
});

describe('compilePattern wildcard', () => {
  it('rejects what EventBridge rejects: two stars in a row, also after an escaped backslash, and stray escapes', () => {
    expect(() => compilePattern({ n: [{ wildcard: 'a\\\\**' }] })).toThrow(
      "pattern.n[0]: 'wildcard' cannot contain consecutive '*'",
    );
    expect(() => compilePattern({ n: [{ wildcard: 'a\\b' }] })).toThrow(
      `pattern.n[0]: 'wildcard' "a\\\\b": a backslash may only escape '*' or '\\' (offset 1)`,
    );
    expect(matches({ n: [{ wildcard: 'a\\**' }] }, { n: 'a*x' })).toBe(true);
  });

  it('matches code points, as StringMatches does: a lone surrogate never matches half of a pair', () => {
    const emoji = '\u{1F600}';
    expect(matches({ n: [{ wildcard: '*\uDE00' }] }, { n: emoji })).toBe(false);
    expect(matches({ n: [{ wildcard: '*' }] }, { n: emoji })).toBe(true);
    expect(matches({ n: [{ 'anything-but': { wildcard: '*\uDE00' } }] }, { n: emoji })).toBe(true);
  });
});
