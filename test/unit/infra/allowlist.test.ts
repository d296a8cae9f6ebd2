import { Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import {
  ACTIONS_WITHOUT_RESOURCE_LEVEL,
  AllowlistError,
  allowlistStatements,
  parseAllowlist,
  splitAllowlist,
} from '../../../infra/allowlist.ts';
import { overBroadStatements } from './iamStatements.ts';

const CLUSTER = 'arn:aws:redshift:eu-west-1:123456789012:cluster:etl';

/** Resolves statements to their CloudFormation JSON, as they appear in a template. */
function rendered(statements: ReturnType<typeof allowlistStatements>): unknown[] {
  const stack = new Stack();
  return statements.map((statement) => stack.resolve(statement.toStatementJson()));
}

describe('splitAllowlist / parseAllowlist', () => {
  it('classifies each form and ignores blanks around commas', () => {
    // Act
    const entries = parseAllowlist(
      splitAllowlist(
        ' arn:aws:lambda:*:*:function:seed004-* ,, arn:aws:states:::lambda:invoke.waitForTaskToken,' +
          'arn:aws:states:::aws-sdk:redshiftdata:executeStatement',
      ),
    );

    // Assess
    expect(entries).toEqual([
      { kind: 'lambda', pattern: 'arn:aws:lambda:*:*:function:seed004-*' },
      { kind: 'lambda-integration', pattern: 'arn:aws:states:::lambda:invoke.waitForTaskToken' },
      {
        kind: 'sdk',
        pattern: 'arn:aws:states:::aws-sdk:redshiftdata:executeStatement',
        service: 'redshiftdata',
        action: 'executeStatement',
      },
    ]);
  });

  it('names the entry and the reason for a pattern it cannot deploy', () => {
    // Act / Assess
    expect(() => parseAllowlist(['arn:aws:lambda:*:*:function:a', 'arn:aws:sqs:*:*:queue'])).toThrow(
      'resource allowlist entry 2 ("arn:aws:sqs:*:*:queue"): not a Lambda function ARN',
    );
    expect(() => parseAllowlist(['arn:aws:states:::aws-sdk:*:getItem'])).toThrow(AllowlistError);
  });
});

describe('allowlistStatements', () => {
  it('invokes a function by name and by qualifier', () => {
    // Act
    const statements = rendered(
      allowlistStatements(parseAllowlist(['arn:aws:lambda:eu-west-1:123456789012:function:notify'])),
    );

    // Assess
    expect(statements).toEqual([
      {
        Sid: 'InvokeAllowlistedFunctions',
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: [
          'arn:aws:lambda:eu-west-1:123456789012:function:notify',
          'arn:aws:lambda:eu-west-1:123456789012:function:notify:*',
        ],
      },
    ]);
  });

  it('expands an SDK action glob into named actions from the installed client, never a service wildcard', () => {
    // Act
    const statements = rendered(
      allowlistStatements(parseAllowlist(['arn:aws:states:::aws-sdk:redshiftdata:*']), {
        sdkResources: { 'redshift-data': [CLUSTER] },
      }),
    );
    const template = {
      Resources: {
        P: { Type: 'AWS::IAM::Policy', Properties: { PolicyDocument: { Statement: statements } } },
      },
    };

    // Assess
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: expect.arrayContaining([
          'redshift-data:ExecuteStatement',
          'redshift-data:BatchExecuteStatement',
        ]),
        Resource: CLUSTER,
      }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: expect.arrayContaining([
          'redshift-data:DescribeStatement',
          'redshift-data:GetStatementResult',
        ]),
        Resource: '*',
      }),
    );
    expect(overBroadStatements(template, ACTIONS_WITHOUT_RESOURCE_LEVEL)).toEqual([]);
  });

  it('maps a single camelCase action to IAM PascalCase and a glob prefix to the matching commands only', () => {
    // Act
    const statements = rendered(
      allowlistStatements(parseAllowlist(['arn:aws:states:::aws-sdk:redshiftdata:getStatement*']), {}),
    );

    // Assess
    expect(statements).toEqual([
      expect.objectContaining({
        Action: ['redshift-data:GetStatementResult', 'redshift-data:GetStatementResultV2'],
        Resource: '*',
      }),
    ]);
  });

  it('refuses an action with resource-level permissions when no resource ARNs are given', () => {
    // Act / Assess
    expect(() => allowlistStatements(parseAllowlist(['arn:aws:states:::aws-sdk:dynamodb:getItem']))).toThrow(
      "dynamodb:GetItem supports resource-level permissions; give its resource ARNs in sdkResources['dynamodb']",
    );
  });

  it('explains a glob that cannot be expanded because the client package is missing', () => {
    // Act / Assess
    expect(() => allowlistStatements(parseAllowlist(['arn:aws:states:::aws-sdk:nosuchservice:*']))).toThrow(
      /@aws-sdk\/client-nosuchservice is not installed/,
    );
  });
});

describe('overBroadStatements', () => {
  it('reports Action *, service wildcards and Resource * on scopable actions, in policies and inline role policies', () => {
    // Prepare
    const template = {
      Resources: {
        Policy: {
          Type: 'AWS::IAM::Policy',
          Properties: {
            PolicyDocument: {
              Statement: [
                { Effect: 'Allow', Action: 'dynamodb:*', Resource: 'arn:aws:dynamodb:::table/t' },
                {
                  Effect: 'Allow',
                  Action: ['s3:GetObject', 'redshift-data:DescribeStatement'],
                  Resource: '*',
                },
                { Effect: 'Deny', Action: '*', Resource: '*' },
              ],
            },
          },
        },
        Role: {
          Type: 'AWS::IAM::Role',
          Properties: {
            Policies: [{ PolicyDocument: { Statement: [{ Effect: 'Allow', Action: '*', Resource: 'x' }] } }],
          },
        },
      },
    };

    // Act
    const findings = overBroadStatements(template, ACTIONS_WITHOUT_RESOURCE_LEVEL);

    // Assess
    expect(findings).toEqual([
      { resource: 'Policy', reason: 'service wildcard dynamodb:*' },
      { resource: 'Policy', reason: "Resource '*' for s3:GetObject, which can be scoped" },
      { resource: 'Role', reason: "Action '*'" },
    ]);
  });
});
