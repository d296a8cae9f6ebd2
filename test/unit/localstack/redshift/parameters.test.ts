import { describe, expect, it } from 'vitest';
import { bindNamedParameters } from '../../../../localstack/redshift/index.ts';

describe('bindNamedParameters', () => {
  it('numbers named parameters in order of first use and binds a repeated name once', () => {
    const bound = bindNamedParameters('select * from t where a = :a and b = :b or a2 = :a', [
      { name: 'b', value: 'two' },
      { name: 'a', value: 'one' },
    ]);

    expect(bound).toEqual({
      text: 'select * from t where a = $1 and b = $2 or a2 = $1',
      values: ['one', 'two'],
    });
  });

  it('leaves casts, literals, quoted identifiers, comments, dollar quotes and array slices alone', () => {
    const sql = [
      "select :id::int, ':no', E'\\':no', \"col:no\", arr[1:2]",
      '-- :no in a comment',
      '/* :no /* nested */ :no */ $$ begin x := :no; end $$, $fn$ :no $fn$',
    ].join('\n');

    const bound = bindNamedParameters(sql, [{ name: 'id', value: '7' }]);

    expect(bound.values).toEqual(['7']);
    expect(bound.text).toBe(sql.replace(':id::int', '$1::int'));
  });

  it('names every parameter the SQL uses but was not given', () => {
    expect(() => bindNamedParameters('insert into t values (:a, :b, :a)', [])).toThrow(
      'The SQL statement uses :a, :b but no value for it was given in Parameters',
    );
  });

  it('rejects a parameter given twice', () => {
    expect(() =>
      bindNamedParameters('select :a', [
        { name: 'a', value: '1' },
        { name: 'a', value: '2' },
      ]),
    ).toThrow("Parameter 'a' is given more than once");
  });
});
