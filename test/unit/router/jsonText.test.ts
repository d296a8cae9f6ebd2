import { describe, expect, it } from 'vitest';
import { extendedText, memberText } from '../../../router/jsonText.ts';

describe('memberText', () => {
  it("cuts a member's own text out of the object's, whatever surrounds it", () => {
    expect(memberText('{"id":"1","data":{"a":1}}', 'data')).toBe('{"a":1}');
    expect(memberText(' {\n  "data" :  [1, {"b": "}"}] ,\n "x": 2 }\n', 'data')).toBe('[1, {"b": "}"}]');
    expect(memberText('{"data":"say \\"hi\\" \\\\","z":0}', 'data')).toBe('"say \\"hi\\" \\\\"');
    expect(memberText('{"a":{"data":1},"data":-1.5e3}', 'data')).toBe('-1.5e3');
    expect(memberText('{"data":true}', 'data')).toBe('true');
  });

  it('takes the last of duplicate members, as JSON.parse does', () => {
    expect(memberText('{"data":1,"data":{"x":[2]}}', 'data')).toBe('{"x":[2]}');
  });

  it('answers undefined for a missing member, an escaped member name or a text that is no object', () => {
    expect(memberText('{"id":"1","dataX":2,"dat":3}', 'data')).toBeUndefined();
    expect(memberText('{"d\\u0061ta":1}', 'data')).toBeUndefined();
    expect(memberText('[{"data":1}]', 'data')).toBeUndefined();
    expect(memberText('{}', 'data')).toBeUndefined();
  });

  it('reads back the same value as JSON.parse for generated objects, compact and indented', () => {
    let seed = 7;
    const next = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    const value = (depth: number): unknown => {
      switch (next(depth > 2 ? 4 : 6)) {
        case 0:
          return next(1000) / 7 - 50;
        case 1:
          return ['', 'a"b', 'c\\', '{[}]', 'é\n', ','][next(6)];
        case 2:
          return next(2) === 0 ? null : true;
        case 3:
          return next(3) === 0 ? false : 'text';
        case 4:
          return Array.from({ length: next(4) }, () => value(depth + 1));
        default:
          return Object.fromEntries(Array.from({ length: next(4) }, (_, i) => [`k${i}"}`, value(depth + 1)]));
      }
    };
    for (let i = 0; i < 300; i++) {
      const object = { id: String(i), before: value(0), data: value(0), after: value(0) };
      for (const text of [JSON.stringify(object), JSON.stringify(object, null, i % 4)]) {
        expect(JSON.parse(memberText(text, 'data') ?? 'undefined')).toEqual(object.data);
      }
    }
  });
});

describe('extendedText', () => {
  const text = ' {"id": "o-1", "qty": 1.0, "items": [{"sku": "a"}]}'.trim();
  const base = JSON.parse(text) as Record<string, unknown>;

  it('writes the members added after the base text, which it keeps as it was sent', () => {
    const result = { valid: true, note: 'say "hi"\n' };
    const value = { ...base, step1: result, step2: [1.5, null], step3: 'é' };
    const extended = extendedText(value, base, text);
    expect(extended).toBe(
      '{"id": "o-1", "qty": 1.0, "items": [{"sku": "a"}],"step1":{"valid":true,"note":"say \\"hi\\"\\n"},"step2":[1.5,null],"step3":"é"}',
    );
    expect(JSON.parse(extended ?? '')).toEqual(value);
    expect(extendedText(base, base, text)).toBe(text);
  });

  it('leaves out an undefined member, as JSON.stringify does', () => {
    expect(extendedText({ ...base, gone: undefined, kept: 0 }, base, text)).toBe(
      `${text.slice(0, -1)},"kept":0}`,
    );
  });

  it('answers undefined unless the value keeps every member of the base, the same value in the same place', () => {
    const replaced = { ...base, qty: 2, step1: 1 };
    const copied = { ...base, items: [{ sku: 'a' }], step1: 1 };
    const reordered = { qty: base.qty, id: base.id, items: base.items, step1: 1 };
    const indexFirst = { ...base, '0': 'first' };
    const { qty: _qty, ...dropped } = base;
    for (const value of [replaced, copied, reordered, indexFirst, { ...dropped, step1: 1 }, [base], 'text']) {
      expect(extendedText(value, base, text)).toBeUndefined();
    }
    expect(extendedText({ a: 1 }, {}, '{}')).toBeUndefined();
    expect(extendedText({ ...base, step1: 1 }, base, '[1]')).toBeUndefined();
  });
});
