import { describe, expect, it } from 'vitest';
import {
  OPTIMIZED_INTEGRATIONS,
  parseTaskResource,
  unsupportedReason,
  waitsForTaskToken,
} from '../../../router/asl/taskResource.ts';
import { SDK_INTEGRATIONS } from '../../../router/invoke/integrations.ts';
import { functionArn } from '../../../router/invoke/resources.ts';
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
    expect(parseTaskResource('arn:aws:states:::lambda:invoke.waitForTaskToken')).toEqual({
      kind: 'service',
      service: 'lambda',
      action: 'invoke',
      pattern: 'waitForTaskToken',
    });
    expect(parseTaskResource('arn:aws:states:::aws-sdk:redshiftdata:executeStatement')).toEqual({
      kind: 'sdk',
      service: 'redshiftdata',
      action: 'executeStatement',
      pattern: 'request-response',
    });
    expect(parseTaskResource('arn:aws:states:::states:startExecution.sync:2')).toEqual({
      kind: 'service',
      service: 'states',
      action: 'startExecution',
      pattern: 'sync:2',
    });
    expect(parseTaskResource('arn:aws:states:::athena:startQueryExecution.sync')).toMatchObject({
      pattern: 'sync',
    });
  });

  it('reads integration ARNs that name their region and account, and activities', () => {
    expect(parseTaskResource('arn:aws:states:us-east-1:123456789012:aws-sdk:s3:getObject')).toEqual({
      kind: 'sdk',
      service: 's3',
      action: 'getObject',
      pattern: 'request-response',
    });
    expect(parseTaskResource('arn:aws:states:eu-west-1:123456789012:sns:publish')).toMatchObject({
      kind: 'service',
      service: 'sns',
    });
    expect(parseTaskResource('arn:aws:states:us-east-1:123456789012:activity:approve')).toEqual({
      kind: 'activity',
      name: 'approve',
      region: 'us-east-1',
      account: '123456789012',
    });
  });

  it('refuses what is no Task resource at all', () => {
    expect(parseTaskResource('arn:aws:sqs:us-east-1:1:queue')).toBeUndefined();
    expect(parseTaskResource('arn:aws:lambda:us-east-1:1:layer:x')).toBeUndefined();
    expect(parseTaskResource('arn:aws:states:::activity:no-region')).toBeUndefined();
    expect(parseTaskResource('arn:aws:states:::sns:publish.eventually')).toBeUndefined();
    expect(parseTaskResource('not an arn')).toBeUndefined();
  });
});

describe('unsupportedReason', () => {
  it('names the integration or the pattern this runtime does not run', () => {
    const reason = (resource: string) => {
      const parsed = parseTaskResource(resource);
      return parsed === undefined ? 'unparsed' : unsupportedReason(parsed);
    };
    expect(reason('arn:aws:states:::sns:publish.waitForTaskToken')).toBeUndefined();
    expect(reason('arn:aws:states:::dynamodb:putItem.sync')).toBe(
      "'dynamodb:putItem' does not support .sync (it supports request/response)",
    );
    expect(reason('arn:aws:states:::mediaconvert:createJob.sync')).toContain(
      "the optimized integration 'mediaconvert:createJob' is not one this runtime runs",
    );
  });
});

describe('waitsForTaskToken', () => {
  it('is true for callbacks on any integration and for activities', () => {
    expect(waitsForTaskToken('arn:aws:states:::sqs:sendMessage.waitForTaskToken')).toBe(true);
    expect(waitsForTaskToken('arn:aws:states:::aws-sdk:sqs:sendMessage.waitForTaskToken')).toBe(true);
    expect(waitsForTaskToken('arn:aws:states:us-east-1:1:activity:approve')).toBe(true);
    expect(waitsForTaskToken('arn:aws:states:::athena:startQueryExecution.sync')).toBe(false);
    expect(waitsForTaskToken('arn:aws:lambda:us-east-1:1:function:f')).toBe(false);
  });
});

describe('the integration table', () => {
  it('runs every optimized integration the validator accepts, and polls every .sync one', () => {
    for (const [key, patterns] of Object.entries(OPTIMIZED_INTEGRATIONS)) {
      if (key === 'lambda:invoke' || key === 'http:invoke' || key === 'apigateway:invoke') continue;
      const spec = SDK_INTEGRATIONS[key];
      expect(spec, key).toBeDefined();
      if (patterns.includes('sync')) expect(spec?.job, `${key} .sync`).toBeDefined();
    }
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
    expect(sdkService('bedrockruntime').packageName).toBe('@aws-sdk/client-bedrock-runtime');
  });
});
