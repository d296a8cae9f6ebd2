import { describe, expect, it } from 'vitest';
import type { JsonObject, JsonValue } from '../../../router/asl/types.ts';
import { NoRouteError } from '../../../router/errors.ts';
import { type Envelope, toEnvelope } from '../../../router/pipeline/envelope.ts';
import { compilePattern, createRouter, PatternError, parseIdPath } from '../../../router/pipeline/route.ts';

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

function cloud(overrides: JsonObject = {}): Envelope {
  return toEnvelope({ ...event, ...overrides }, 'shard#1');
}

describe('createRouter', () => {
  it('sends an event with an explicit engine attribute there, whatever the patterns say', () => {
    const router = createRouter([{ engine: 'orders', pattern: { type: ['Order.Created'] } }]);

    expect(router.route(cloud({ engine: 'audit' }))).toEqual({
      engine: 'audit',
      via: 'explicit',
      dedupKey: 'shop.orders#e-1',
    });
  });

  it('takes the first matching route by priority, then engine name', () => {
    const router = createRouter([
      { engine: 'zeta', pattern: { source: [{ prefix: 'shop' }] } },
      { engine: 'catch-all', priority: 100 },
      { engine: 'alpha', pattern: { type: ['Order.Created'] } },
      { engine: 'urgent', priority: -1, pattern: { type: ['Order.Cancelled'] } },
    ]);

    expect(router.route(cloud())?.engine).toBe('alpha');
    expect(router.route(cloud({ type: 'Order.Cancelled' }))?.engine).toBe('urgent');
    expect(router.route(cloud({ type: 'Other', source: 'bank' }))?.engine).toBe('catch-all');
  });

  it('returns undefined, or a NoRouteError naming the record, when nothing matches', () => {
    const router = createRouter([{ engine: 'orders', pattern: { type: ['Order.Deleted'] } }]);
    const record = { shardId: 'shardId-000000000001', sequenceNumber: '55' };

    expect(router.route(cloud())).toBeUndefined();
    expect(() => router.routeOrThrow(cloud(), record)).toThrow(NoRouteError);
    expect(() => router.routeOrThrow(cloud(), record)).toThrow(
      "record shard shardId-000000000001 sequence 55: no-route: no route matches type 'Order.Created'",
    );
  });

  it("keys a raw object by the route's idPath, else by its stream position", () => {
    const router = createRouter([
      { engine: 'legacy', idPath: '$.order.id', pattern: { kind: ['legacy'] } },
      { engine: 'plain', pattern: { kind: ['plain'] } },
    ]);
    const legacy = toEnvelope({ kind: 'legacy', order: { id: 'o-9' } }, 'shard#7');
    const legacyWithoutId = toEnvelope({ kind: 'legacy' }, 'shard#8');
    const plain = toEnvelope({ kind: 'plain', order: { id: 'o-9' } }, 'shard#9');

    expect(router.route(legacy)).toMatchObject({ engine: 'legacy', dedupKey: 'o-9' });
    expect(router.route(legacyWithoutId)?.dedupKey).toBe('shard#8');
    expect(router.route(plain)?.dedupKey).toBe('shard#9');
  });

  it('names the route when its pattern is invalid', () => {
    expect(() => createRouter([{ engine: 'orders', pattern: { type: [{ numeric: ['>', 'x'] }] } }])).toThrow(
      /route 0 \(orders\): pattern\.type\[0\]/,
    );
    expect(() => createRouter([{ engine: '' }])).toThrow("route 0: 'engine' must be a non-empty string");
    expect(() => createRouter([{ engine: 'a', idPath: '$..x' }])).toThrow(
      "idPath '$..x' is not a simple path",
    );
  });
});

describe('parseIdPath', () => {
  it('reads dotted paths with indexes, with or without $', () => {
    expect(parseIdPath('$.a.b[2].c')).toEqual(['a', 'b', 2, 'c']);
    expect(parseIdPath('orderId')).toEqual(['orderId']);
  });
});
