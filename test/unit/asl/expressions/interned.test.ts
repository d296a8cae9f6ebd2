import { describe, expect, it } from 'vitest';
import {
  compileInputPath,
  compileResultPath,
  resultPathBound,
} from '../../../../router/asl/expressions/dataflow.ts';
import { InternTable } from '../../../../router/asl/expressions/interned.ts';
import { compileIntrinsic } from '../../../../router/asl/expressions/intrinsics.ts';
import { compilePath } from '../../../../router/asl/expressions/paths.ts';

describe('interned expressions', () => {
  it('compiles a reference path once and shares the closure between graphs', () => {
    // Act
    const first = compilePath('$.order.id');
    const second = compilePath('$.order.id', 'reference');

    // Assess
    expect(second).toBe(first);
    expect(first({ order: { id: 7 } }, {})).toBe(7);
  });

  it('shares a ResultPath setter, its size bound and the pass-through steps between graphs', () => {
    // Act
    const write = compileResultPath('$.step1');
    const again = compileResultPath('$.step1');
    const input = { order: 1 };

    // Assess
    expect(again).toBe(write);
    expect(resultPathBound('$.step1')).toBe(resultPathBound('$.step1'));
    expect(compileResultPath('$')).toBe(compileResultPath(undefined));
    expect(compileInputPath('$')).toBe(compileInputPath(undefined));
    expect(write(input, 'a')).toEqual({ order: 1, step1: 'a' });
    expect(again(input, 'b')).toEqual({ order: 1, step1: 'b' });
    expect(input).toEqual({ order: 1 });
  });

  it('still refuses a full path where a reference path is required, after compiling it as a path', () => {
    // Prepare
    const matches = compilePath('$.items[*].id');

    // Act
    const refused = () => compilePath('$.items[*].id', 'reference');

    // Assess
    expect(matches({ items: [{ id: 1 }, { id: 2 }] }, {})).toEqual([1, 2]);
    expect(refused).toThrow(/invalid reference path/);
  });

  it('shares an intrinsic and keeps every call independent of the others', () => {
    // Prepare
    const format = compileIntrinsic("States.Format('order {}', $.id)");
    const env = { random: Math.random, uuid: () => 'u' };

    // Act
    const again = compileIntrinsic("States.Format('order {}', $.id)");

    // Assess
    expect(again).toBe(format);
    expect(format({ id: 1 }, {}, env)).toBe('order 1');
    expect(again({ id: 2 }, {}, env)).toBe('order 2');
  });

  it('keeps an invalid expression out of the table, so it fails every time', () => {
    // Act
    const attempt = () => compileIntrinsic('States.Nope($.x)');

    // Assess
    expect(attempt).toThrow(/Nope/);
    expect(attempt).toThrow(/Nope/);
  });

  it('starts again empty when full rather than growing', () => {
    // Prepare
    const table = new InternTable<number>(2);
    table.keep('a', 1);
    table.keep('b', 2);

    // Act
    table.keep('c', 3);

    // Assess
    expect(table.get('a')).toBeUndefined();
    expect(table.get('c')).toBe(3);
  });
});
