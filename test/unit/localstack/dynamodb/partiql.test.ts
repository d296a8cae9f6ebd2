import { describe, expect, it } from 'vitest';
import { bindInsert, PartiqlError, parseInsert } from '../../../../localstack/dynamodb/partiql.ts';

function reason(statement: string): string {
  try {
    parseInsert(statement);
  } catch (error) {
    if (error instanceof PartiqlError) return error.message;
    throw error;
  }
  throw new Error(`parsed: ${statement}`);
}

describe('parseInsert', () => {
  it('reads a double-quoted table and a tuple of placeholders, strings and numbers', () => {
    // Act
    const insert = parseInsert(
      `INSERT INTO "my-table.v2" VALUE {'pk': ?, 'status': 'SUCCEEDED', 'attempt': 2, 'ratio': -1.5e3, 'sk': ?}`,
    );

    // Assess
    expect(insert).toEqual({
      table: 'my-table.v2',
      attributes: [
        { name: 'pk', value: { kind: 'parameter', index: 0 } },
        { name: 'status', value: { kind: 'literal', value: { S: 'SUCCEEDED' } } },
        { name: 'attempt', value: { kind: 'literal', value: { N: '2' } } },
        { name: 'ratio', value: { kind: 'literal', value: { N: '-1.5e3' } } },
        { name: 'sk', value: { kind: 'parameter', index: 1 } },
      ],
      parameterCount: 2,
    });
  });

  it('takes keywords in any case, a bare table name, free whitespace and doubled quotes', () => {
    // Act
    const insert = parseInsert(`  insert\n into executions_2\tvalue{ 'it''s' :'don''t','x':? }`);

    // Assess
    expect(insert).toEqual({
      table: 'executions_2',
      attributes: [
        { name: "it's", value: { kind: 'literal', value: { S: "don't" } } },
        { name: 'x', value: { kind: 'parameter', index: 0 } },
      ],
      parameterCount: 1,
    });
  });

  it('reads a doubled double quote in a quoted table name as one', () => {
    expect(parseInsert(`INSERT INTO "a""b" VALUE {'k': ?}`).table).toBe('a"b');
  });

  it.each([
    ['SELECT * FROM "t"', 'runs only INSERT statements, not SELECT'],
    [`UPDATE "t" SET a = 1 WHERE pk = 'x'`, 'not UPDATE'],
    [`delete from "t" where pk = 'x'`, 'not DELETE'],
    [`INSERT INTO "t" VALUE {'k': ?} WHERE k = 1`, 'no WHERE clause'],
    [`INSERT INTO "t" VALUES {'k': ?}`, 'expected VALUE'],
    [`INSERT "t" VALUE {'k': ?}`, 'expected INTO'],
    [`INSERT INTO VALUE {'k': ?}`, 'expected VALUE'],
    [`INSERT INTO 't' VALUE {'k': ?}`, 'expected a table name'],
    [`INSERT INTO "t VALUE {'k': ?}`, 'unterminated table name'],
    [`INSERT INTO "t" VALUE {"k": ?}`, 'single-quoted attribute name'],
    [`INSERT INTO "t" VALUE {'k': ?, 'k': 1}`, "attribute 'k' appears twice"],
    [`INSERT INTO "t" VALUE {'k' ?}`, "expected ':' after attribute 'k'"],
    [
      `INSERT INTO "t" VALUE {'k': {'n': 1}}`,
      "the value of 'k' must be ?, a single-quoted string or a number",
    ],
    [`INSERT INTO "t" VALUE {'k': true}`, "the value of 'k' must be ?"],
    [`INSERT INTO "t" VALUE {'k': 12abc}`, "the value of 'k' must be ?"],
    [`INSERT INTO "t" VALUE {'k': 'open}`, 'unterminated string literal'],
    [`INSERT INTO "t" VALUE {'k': ? 'j': ?}`, "expected ',' or '}' after the value of 'k'"],
    [`INSERT INTO "t" VALUE {'k': ?}; SELECT 1`, "unexpected '; SELECT 1' after the VALUE tuple"],
    ['', 'expected INSERT at the end of the statement'],
  ])('rejects %j: %s', (statement, expected) => {
    expect(reason(statement)).toContain(expected);
  });
});

describe('bindInsert', () => {
  it('fills the placeholders in order and keeps the literals', () => {
    // Prepare
    const insert = parseInsert(`INSERT INTO "t" VALUE {'pk': ?, 'kind': 'run', 'doc': ?}`);
    const doc = { M: { steps: { L: [{ S: 'a' }, { N: '1' }] }, done: { BOOL: true } } };

    // Act
    const item = bindInsert(insert, [{ S: 'e-1' }, doc]);

    // Assess
    expect(item).toEqual({ pk: { S: 'e-1' }, kind: { S: 'run' }, doc });
  });

  it.each([
    [[], '2 ? placeholder(s) but 0 Parameters'],
    [[{ S: 'a' }, { S: 'b' }, { S: 'c' }], '2 ? placeholder(s) but 3 Parameters'],
    [[{ S: 'a' }, 'b'], "Parameters[1] (for 'doc') is not an AttributeValue"],
  ])('rejects the parameters %j', (parameters, expected) => {
    // Prepare
    const insert = parseInsert(`INSERT INTO "t" VALUE {'pk': ?, 'doc': ?}`);

    // Act
    const bind = (): unknown => bindInsert(insert, parameters);

    // Assess
    expect(bind).toThrow(PartiqlError);
    expect(bind).toThrow(expected);
  });
});
