import { describe, expect, it } from 'vitest';
import { functionArn, parseTaskResource } from '../../../router/invoke/resources.ts';
import { sdkService } from '../../../router/invoke/sdkServices.ts';

describe('parseTaskResource', () => {
  it('reads every resource form a Task may name', () => {
    expect(parseTaskResource('arn:aws:lambda:us-east-1:123456789012:function:orders-validate')).toEqual({
      kind: 'lambda',
      functionName: 'orders-validate',
    });
    expect(parseTaskResource('arn:aws:lambda:us-east-1:123456789012:function:orders:live')).toEqual({
      kind: 'lambda',
      functionName: 'orders',
      qualifier: 'live',
    });
    expect(parseTaskResource('arn:aws:states:::lambda:invoke')).toEqual({
      kind: 'lambda-invoke',
      callback: false,
    });
    expect(parseTaskResource('arn:aws:states:::lambda:invoke.waitForTaskToken')).toEqual({
      kind: 'lambda-invoke',
      callback: true,
    });
    expect(parseTaskResource('arn:aws:states:::aws-sdk:redshiftdata:executeStatement')).toEqual({
      kind: 'sdk',
      service: 'redshiftdata',
      action: 'executeStatement',
      callback: false,
    });
  });

  it('refuses what this runtime cannot run', () => {
    expect(parseTaskResource('arn:aws:states:::sqs:sendMessage')).toBeUndefined();
    expect(parseTaskResource('arn:aws:lambda:us-east-1:1:layer:x')).toBeUndefined();
    expect(parseTaskResource('not an arn')).toBeUndefined();
  });
});

describe('functionArn', () => {
  it('expands bare and qualified names, and keeps ARNs', () => {
    expect(functionArn('orders', 'eu-west-1', '111122223333')).toBe(
      'arn:aws:lambda:eu-west-1:111122223333:function:orders',
    );
    expect(functionArn('orders:live', 'eu-west-1', '1')).toBe(
      'arn:aws:lambda:eu-west-1:1:function:orders:live',
    );
    expect(functionArn('arn:aws:lambda:x:y:function:z', 'r', 'a')).toBe('arn:aws:lambda:x:y:function:z');
  });
});

describe('sdkService', () => {
  it('maps service names to packages, IAM prefixes and error prefixes', () => {
    expect(sdkService('redshiftdata')).toEqual({
      packageName: '@aws-sdk/client-redshift-data',
      iamPrefix: 'redshift-data',
      errorPrefix: 'RedshiftData',
    });
    expect(sdkService('sqs')).toEqual({
      packageName: '@aws-sdk/client-sqs',
      iamPrefix: 'sqs',
      errorPrefix: 'Sqs',
    });
  });
});
