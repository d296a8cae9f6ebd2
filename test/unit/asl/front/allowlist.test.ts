import { describe, expect, it } from 'vitest';
import { isFunctionAllowed, isResourceAllowed } from '../../../../router/asl/allowlist.ts';

describe('isResourceAllowed', () => {
  const allow = [
    'arn:aws:lambda:*:*:function:seed004-*',
    'arn:aws:states:::lambda:invoke',
    'arn:aws:states:::aws-sdk:redshiftdata:*',
  ];

  it.each([
    ['arn:aws:lambda:eu-west-1:123456789012:function:seed004-step', true],
    ['arn:aws:lambda:eu-west-1:123456789012:function:seed004-step:live', true],
    ['arn:aws:lambda:eu-west-1:123456789012:function:other', false],
    ['arn:aws:states:::lambda:invoke', true],
    ['arn:aws:states:::lambda:invoke.waitForTaskToken', false],
    ['arn:aws:states:::aws-sdk:redshiftdata:executeStatement', true],
    ['arn:aws:states:::aws-sdk:s3:deleteBucket', false],
  ])('%s -> %s', (resource, expected) => {
    expect(isResourceAllowed(resource, allow)).toBe(expected);
  });

  it('treats regular-expression characters in patterns literally', () => {
    expect(isResourceAllowed('arn:aws:lambda:x:1:function:a.b', ['arn:aws:lambda:x:1:function:a.b'])).toBe(
      true,
    );
    expect(isResourceAllowed('arn:aws:lambda:x:1:function:aXb', ['arn:aws:lambda:x:1:function:a.b'])).toBe(
      false,
    );
    expect(isResourceAllowed('arn:aws:lambda:x:1:function:ab', ['arn:aws:lambda:x:1:function:a?'])).toBe(
      true,
    );
  });

  it('allows nothing with an empty allowlist', () => {
    expect(isResourceAllowed('arn:aws:states:::lambda:invoke', [])).toBe(false);
  });
});

describe('isFunctionAllowed', () => {
  const allow = ['arn:aws:lambda:us-east-1:123456789012:function:seed004-*'];

  it.each([
    ['seed004-step', true],
    ['seed004-step:live', true],
    ['123456789012:function:seed004-step', true],
    ['arn:aws:lambda:us-east-1:123456789012:function:seed004-step', true],
    ['arn:aws:lambda:eu-west-1:123456789012:function:seed004-step', false],
    ['other', false],
  ])('%s -> %s', (name, expected) => {
    expect(isFunctionAllowed(name, allow)).toBe(expected);
  });

  it('ignores patterns that are not Lambda functions', () => {
    expect(isFunctionAllowed('anything', ['arn:aws:states:::lambda:invoke'])).toBe(false);
  });
});
