import { describe, expect, it } from 'vitest';
import { compilePath, loosePath, validatePath } from '../../../../router/asl/expressions/paths.ts';

describe('JSONPath as Step Functions reads it', () => {
  it('drops a dot before a bracket, outside quotes and filters, and keeps recursive descent', () => {
    expect(loosePath('$.[0]')).toBe('$[0]');
    expect(loosePath('$.Snapshots.[0].State')).toBe('$.Snapshots[0].State');
    expect(loosePath('$.[?(@.OU > 0)]')).toBe('$[?(@.OU > 0)]');
    expect(loosePath("$.[*].['bucket', 'key']")).toBe("$[*]['bucket', 'key']");
    expect(loosePath('$..[0]')).toBe('$..[0]');
    expect(loosePath("$['a.[b'].c")).toBe("$['a.[b'].c");
  });

  it('accepts the loose forms as reference paths where they name one node', () => {
    expect(validatePath('$.[0]', 'reference')).toBeUndefined();
    expect(validatePath('$.Snapshots.[0].State', 'reference')).toBeUndefined();
    expect(compilePath('$.Snapshots.[0].State')({ Snapshots: [{ State: 'completed' }] }, {})).toBe(
      'completed',
    );
    expect(compilePath('$.[0]')([{ id: 1 }], {})).toEqual({ id: 1 });
  });

  it('filters with the loose form', () => {
    const select = compilePath('$.[?(@.OU > 0)]');
    expect(
      select(
        [
          { OU: 1, name: 'a' },
          { OU: 0, name: 'b' },
        ],
        {},
      ),
    ).toEqual([{ OU: 1, name: 'a' }]);
  });

  it('reads a trailing union of names as one object per match, not the values one after another', () => {
    const items = [{ bucket: 'b1', key: 'k1', size: 1 }, { bucket: 'b2', key: 'k2' }, { bucket: 'b3' }];
    expect(compilePath("$.[*].['bucket', 'key']")(items, {})).toEqual([
      { bucket: 'b1', key: 'k1' },
      { bucket: 'b2', key: 'k2' },
      { bucket: 'b3' },
    ]);
    expect(compilePath("$['a','b']")({ a: 1, b: 2, c: 3 }, {})).toEqual({ a: 1, b: 2 });
  });
});
