import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../../router/asl/types.ts';
import { type Envelope, toEnvelope } from '../../../router/pipeline/envelope.ts';
import { createRouter, parseIdPath } from '../../../router/pipeline/route.ts';

const event: JsonObject = {
  specversion: '1.0',
  id: 'e-1',
  source: 'shop.orders',
  type: 'Order.Created',
  subject: 'order/42',
  data: { amount: 250 },
};

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

  it('returns undefined when nothing matches, so the caller quarantines the record as no-route', () => {
    const router = createRouter([{ engine: 'orders', pattern: { type: ['Order.Deleted'] } }]);

    expect(router.route(cloud())).toBeUndefined();
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
