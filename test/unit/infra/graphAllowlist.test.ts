import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import {
  allowlistFromGraphs,
  allowlistStatements,
  parseAllowlist,
  resourcesFromGraphs,
} from '../../../infra/allowlist.ts';
import { type EngineGraph, loadGraph } from '../../../router/asl/index.ts';

const CORPUS = join(import.meta.dirname, '../../fixtures/statemachines');
const VARIABLES = JSON.parse(readFileSync(join(CORPUS, 'variables.json'), 'utf8')) as Record<string, string>;
const WHERE = { region: 'us-east-1', account: '123456789012' };

function corpusGraph(name: string): EngineGraph {
  const source = readFileSync(join(CORPUS, 'workflows-collection', `${name}.asl.json`), 'utf8');
  const { graph, problems } = loadGraph(source, { file: name, variables: VARIABLES });
  if (graph === undefined) throw new Error(`${name}: ${JSON.stringify(problems)}`);
  return graph;
}

describe('IAM derived from the graphs', () => {
  it("grants a distributed Map's ItemReader and ResultWriter their S3 actions on the buckets they name", () => {
    // Prepare
    const source = JSON.stringify({
      StartAt: 'Rollup',
      States: {
        Rollup: {
          Type: 'Map',
          ItemReader: {
            Resource: 'arn:aws:states:::s3:listObjectsV2',
            Parameters: { Bucket: 'inbound', Prefix: 'sales/' },
          },
          ResultWriter: {
            Resource: 'arn:aws:states:::s3:putObject',
            Parameters: { Bucket: 'results', Prefix: 'runs' },
          },
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' },
            StartAt: 'Done',
            States: { Done: { Type: 'Succeed' } },
          },
          End: true,
        },
      },
    });
    const { graph, problems } = loadGraph(source, { file: 'rollup.json' });
    if (graph === undefined) throw new Error(JSON.stringify(problems));

    // Act
    const allowlist = allowlistFromGraphs([graph], WHERE);
    const stack = new Stack();
    const statements = allowlistStatements(parseAllowlist(allowlist), {
      sdkResources: resourcesFromGraphs([graph], WHERE),
    }).map((statement) => stack.resolve(statement.toStatementJson()) as Record<string, unknown>);

    // Assess
    expect(allowlist).toEqual(['arn:aws:states:::s3:listObjectsV2', 'arn:aws:states:::s3:putObject']);
    expect(statements).toEqual([
      {
        Action: ['s3:ListBucket', 's3:PutObject'],
        Effect: 'Allow',
        Resource: [
          'arn:aws:s3:::inbound',
          'arn:aws:s3:::inbound/*',
          'arn:aws:s3:::results',
          'arn:aws:s3:::results/*',
        ],
      },
    ]);
  });

  it('grants each integration the actions its pattern needs, on the resources the graphs name', () => {
    // Prepare: a callback on SNS, DynamoDB writes and EventBridge events, and a nested .sync:2 execution.
    const graphs = ['human-in-the-loop', 'cqrs', 'app-control-concurrency-test-run-semaphore'].map(
      corpusGraph,
    );

    // Act
    const allowlist = allowlistFromGraphs(graphs, WHERE);
    const stack = new Stack();
    const statements = allowlistStatements(parseAllowlist(allowlist), {
      sdkResources: resourcesFromGraphs(graphs, WHERE),
    }).map((statement) => stack.resolve(statement.toStatementJson()) as Record<string, unknown>);

    // Assess
    expect(allowlist).toContain('arn:aws:states:::sns:publish.waitForTaskToken');
    expect(allowlist).toContain('arn:aws:lambda:us-east-1:123456789012:function:ProcessingLambda');
    expect(statements).toEqual(
      expect.arrayContaining([
        {
          Action: 'dynamodb:PutItem',
          Effect: 'Allow',
          Resource: 'arn:aws:dynamodb:us-east-1:123456789012:table/DynamoDBTableName',
        },
        {
          Action: 'events:PutEvents',
          Effect: 'Allow',
          Resource: 'arn:aws:events:us-east-1:123456789012:event-bus/sample-bus',
        },
        { Action: 'sns:Publish', Effect: 'Allow', Resource: 'arn:aws:sns:us-east-1:123456789012:TopicName' },
        {
          Action: ['states:DescribeExecution', 'states:StartExecution', 'states:StopExecution'],
          Effect: 'Allow',
          Resource: [
            'arn:aws:states:us-east-1:123456789012:execution:semaphore:*',
            'arn:aws:states:us-east-1:123456789012:stateMachine:semaphore',
          ],
        },
      ]),
    );
    for (const statement of statements) {
      for (const action of [statement.Action].flat()) expect(String(action)).not.toContain('*');
      expect(statement.Resource).not.toBe('*');
    }
  });

  it('stops synth naming the action when a graph computes its resource at run time', () => {
    const graph: EngineGraph = {
      StartAt: 'Publish',
      States: {
        Publish: {
          Type: 'Task',
          Resource: 'arn:aws:states:::sns:publish',
          Parameters: { 'TopicArn.$': '$.topic', Message: 'hi' },
          End: true,
        },
      },
    };

    expect(() =>
      allowlistStatements(parseAllowlist(allowlistFromGraphs([graph], WHERE)), {
        sdkResources: resourcesFromGraphs([graph], WHERE),
      }),
    ).toThrow(
      "sns:Publish supports resource-level permissions; give its resource ARNs in sdkResources['sns']",
    );
  });
});
