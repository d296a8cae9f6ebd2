import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { propsFromContext } from '../../../infra/app.ts';

describe('propsFromContext', () => {
  it('defaults to the dev stage with an on-demand stream', () => {
    // Act
    const props = propsFromContext(new App());

    // Assess
    expect(props).toEqual({ stage: 'dev', streamCapacity: { mode: 'on-demand' } });
  });

  it('reads stage, shard count, allowlist, Redshift resources and alarm email from -c options', () => {
    // Prepare
    const app = new App({
      context: {
        stage: 'prod',
        shardCount: '4',
        resourceAllowlist: 'arn:aws:lambda:*:*:function:seed004-*,arn:aws:states:::aws-sdk:redshiftdata:*',
        redshiftDataResources: 'arn:aws:redshift:eu-west-1:123456789012:cluster:etl',
        alarmEmail: 'ops@example.com',
      },
    });

    // Act
    const props = propsFromContext(app);

    // Assess
    expect(props).toEqual({
      stage: 'prod',
      streamCapacity: { mode: 'provisioned', shardCount: 4 },
      resourceAllowlist: ['arn:aws:lambda:*:*:function:seed004-*', 'arn:aws:states:::aws-sdk:redshiftdata:*'],
      sdkResources: { 'redshift-data': ['arn:aws:redshift:eu-west-1:123456789012:cluster:etl'] },
      alarmEmail: 'ops@example.com',
    });
  });

  it('names the context key and the value it rejects', () => {
    // Act / Assess
    expect(() => propsFromContext(new App({ context: { stage: 'Prod_1' } }))).toThrow(
      `context 'stage' must be lowercase letters, digits and '-', got "Prod_1"`,
    );
    expect(() => propsFromContext(new App({ context: { shardCount: 'two' } }))).toThrow(
      `context 'shardCount' must be a positive integer, got "two"`,
    );
  });
});
