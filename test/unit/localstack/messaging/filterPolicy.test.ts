import { describe, expect, it } from 'vitest';
import { compileFilterPolicy, FilterPolicyError } from '../../../../localstack/sns/index.ts';

type Attributes = Record<string, { DataType: string; StringValue: string }>;

const string = (value: string) => ({ DataType: 'String', StringValue: value });
const number = (value: number) => ({ DataType: 'Number', StringValue: String(value) });
const array = (values: unknown[]) => ({ DataType: 'String.Array', StringValue: JSON.stringify(values) });

function matches(policy: object, attributes: Attributes): boolean {
  return compileFilterPolicy(JSON.stringify(policy), 'MessageAttributes')({ attributes, body: '' });
}

function matchesBody(policy: object, body: unknown): boolean {
  return compileFilterPolicy(
    JSON.stringify(policy),
    'MessageBody',
  )({ attributes: {}, body: JSON.stringify(body) });
}

describe('SNS filter policies on message attributes', () => {
  it.each([
    ['an exact string', { kind: ['order.placed'] }, { kind: string('order.placed') }, true],
    ['another string', { kind: ['order.placed'] }, { kind: string('order.paid') }, false],
    ['one of several strings', { kind: ['a', 'b'] }, { kind: string('b') }, true],
    ['a prefix', { kind: [{ prefix: 'order.' }] }, { kind: string('order.paid') }, true],
    ['a suffix', { kind: [{ suffix: '.paid' }] }, { kind: string('order.paid') }, true],
    ['equals-ignore-case', { kind: [{ 'equals-ignore-case': 'ORDER' }] }, { kind: string('order') }, true],
    ['anything-but a listed value', { region: [{ 'anything-but': ['eu'] }] }, { region: string('us') }, true],
    ['anything-but the value', { region: [{ 'anything-but': ['eu'] }] }, { region: string('eu') }, false],
    [
      'anything-but a prefix',
      { region: [{ 'anything-but': { prefix: 'eu-' } }] },
      { region: string('eu-west-1') },
      false,
    ],
    ['anything-but on an absent key', { region: [{ 'anything-but': ['eu'] }] }, {}, false],
    ['a numeric range', { amount: [{ numeric: ['>=', 100, '<', 1000] }] }, { amount: number(250) }, true],
    ['outside the range', { amount: [{ numeric: ['>=', 100, '<', 1000] }] }, { amount: number(1000) }, false],
    ['numeric equality', { amount: [{ numeric: ['=', 5] }] }, { amount: number(5) }, true],
    ['a number literal', { amount: [5] }, { amount: number(5) }, true],
    ['a number literal against a String attribute', { amount: [5] }, { amount: string('5') }, false],
    [
      'numeric against a String attribute',
      { amount: [{ numeric: ['>', 1] }] },
      { amount: string('5') },
      false,
    ],
    ['exists true', { trace: [{ exists: true }] }, { trace: string('t') }, true],
    ['exists true on an absent key', { trace: [{ exists: true }] }, {}, false],
    ['exists false on an absent key', { trace: [{ exists: false }] }, {}, true],
    ['exists false on a present key', { trace: [{ exists: false }] }, { trace: string('t') }, false],
    ['a String.Array with a matching element', { tags: ['vip'] }, { tags: array(['new', 'vip']) }, true],
    ['a String.Array without one', { tags: ['vip'] }, { tags: array(['new']) }, false],
    [
      'every key must match',
      { kind: ['a'], region: ['eu'] },
      { kind: string('a'), region: string('us') },
      false,
    ],
    ['$or alternatives', { $or: [{ kind: ['a'] }, { region: ['eu'] }] }, { region: string('eu') }, true],
  ])('%s', (_case, policy, attributes, expected) => {
    expect(matches(policy, attributes)).toBe(expected);
  });
});

describe('SNS filter policies on the message body', () => {
  it('matches nested keys and arrays in the JSON body', () => {
    // Prepare
    const policy = { customer: { tier: ['gold'] }, items: { sku: [{ prefix: 'A-' }] } };

    // Act / Assess
    expect(matchesBody(policy, { customer: { tier: 'gold' }, items: [{ sku: 'B-1' }, { sku: 'A-2' }] })).toBe(
      true,
    );
    expect(matchesBody(policy, { customer: { tier: 'gold' }, items: [{ sku: 'B-1' }] })).toBe(false);
    expect(matchesBody(policy, { customer: { tier: 'gold' }, items: { sku: 'A-2' } })).toBe(true);
    expect(matchesBody(policy, { customer: { tier: 'silver' }, items: { sku: 'A-2' } })).toBe(false);
  });

  it('does not match a body that is not JSON', () => {
    // Act
    const match = compileFilterPolicy('{"a":["b"]}', 'MessageBody')({ attributes: {}, body: 'plain text' });

    // Assess
    expect(match).toBe(false);
  });
});

describe('invalid filter policies', () => {
  it.each([
    ['not JSON', '{', 'not JSON'],
    ['an unknown operator', '{"a":[{"starts-with":"x"}]}', "a: unknown operator 'starts-with'"],
    ['a bad numeric operator', '{"a":[{"numeric":["~",1]}]}', 'a: numeric: unknown numeric operator "~"'],
    ['an empty condition list', '{"a":[]}', 'a: the list of conditions is empty'],
    ['nesting in the attributes scope', '{"a":{"b":["c"]}}', 'a: a MessageAttributes policy cannot nest'],
    ['a bare value', '{"a":"b"}', 'a: expected a list of conditions'],
  ])('refuses %s, naming the key', (_case, text, message) => {
    // Act
    const attempt = () => compileFilterPolicy(text, 'MessageAttributes');

    // Assess
    expect(attempt).toThrow(FilterPolicyError);
    expect(attempt).toThrow(message);
  });
});
