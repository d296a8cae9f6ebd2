/**
 * The public state machines of `test/fixtures/statemachines/`: how many this runtime accepts unchanged
 * (with their templates' placeholder values and every resource allowed), and that each accepted one runs
 * to an end on a sample input (`inputs.json`) with every Task answered by a stand-in in the shape its
 * integration answers. The shares are in the tests' names; the tests fail when they drop below their
 * floors, and `docs/integrations.md` lists what is still refused and why.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  compileGraph,
  type EngineGraph,
  formatProblems,
  type InvokeEffect,
  type InvokeOutcome,
  isJsonObject,
  type JsonValue,
  loadGraph,
  parseTaskResource,
  runExecution,
  VirtualClock,
} from '../../../router/asl/index.ts';

const ROOT = join(import.meta.dirname, '../../fixtures/statemachines');
const VARIABLES = JSON.parse(readFileSync(join(ROOT, 'variables.json'), 'utf8')) as Record<string, string>;
/** Accepted now: 53 of 53. Raise it as the corpus grows. */
const FLOOR = 53;
/** Of those, how many run to SUCCEEDED on their sample input with the stand-in answers (31 now). */
const SUCCEEDED_FLOOR = 31;
const statuses = new Map<string, string>();

interface Loaded {
  readonly file: string;
  readonly graph?: EngineGraph;
  readonly problems: string;
}

const corpus: Loaded[] = readdirSync(join(ROOT, 'workflows-collection'))
  .filter((file) => file.endsWith('.asl.json'))
  .sort()
  .map((file) => {
    const source = readFileSync(join(ROOT, 'workflows-collection', file), 'utf8');
    const loaded = loadGraph(source, { file, variables: VARIABLES, allowlist: ['*'] });
    return {
      file,
      ...(loaded.graph === undefined ? {} : { graph: loaded.graph }),
      problems: formatProblems(loaded.problems),
    };
  });
const accepted = corpus.filter((one) => one.graph !== undefined);
const share = `${accepted.length} of ${corpus.length} (${Math.round((100 * accepted.length) / corpus.length)}%)`;

const INPUTS = JSON.parse(readFileSync(join(ROOT, 'inputs.json'), 'utf8')) as Record<string, JsonValue>;
const metadata = { SdkHttpMetadata: { HttpStatusCode: 200 }, SdkResponseMetadata: { RequestId: 'r-1' } };

/**
 * What each integration answers, in the shape Step Functions gives it (a finished job for `.sync`); an
 * `aws-sdk` action and a function echo their input, and a callback or activity is answered as if its
 * worker had sent the message back.
 */
function answer(effect: InvokeEffect): JsonValue {
  if (effect.mapRun === 'read')
    return [
      { Key: 'a.json', Size: 2 },
      { Key: 'b.json', Size: 3 },
    ];
  if (effect.mapRun === 'write') {
    return { MapRunArn: 'arn:maprun', ResultWriterDetails: { Bucket: 'out', Key: 'r/manifest.json' } };
  }
  const resource = parseTaskResource(effect.resource);
  const params = isJsonObject(effect.input) ? effect.input : {};
  if (resource?.kind !== 'service' || resource.pattern === 'waitForTaskToken') return effect.input;
  switch (`${resource.service}:${resource.action}`) {
    case 'lambda:invoke':
      return { ExecutedVersion: '$LATEST', Payload: params.Payload ?? {}, StatusCode: 200 };
    case 'sns:publish':
      return { MessageId: 'm-1', ...metadata };
    case 'sqs:sendMessage':
      return { MessageId: 'q-1', MD5OfMessageBody: 'd41d8cd98f00b204e9800998ecf8427e', ...metadata };
    case 'events:putEvents':
      return { Entries: [{ EventId: 'e-1' }], FailedEntryCount: 0 };
    case 'dynamodb:getItem':
      return { Item: params.Key ?? {}, ...metadata };
    case 'apigateway:invoke':
    case 'http:invoke':
      return { Headers: {}, ResponseBody: {}, StatusCode: 200, StatusText: 'OK' };
    case 'bedrock:invokeModel':
      return { Body: { content: [{ type: 'text', text: 'BILLING' }] }, ContentType: 'application/json' };
    case 'athena:startQueryExecution':
      return { QueryExecution: { QueryExecutionId: 'q-1', Status: { State: 'SUCCEEDED' } } };
    case 'states:startExecution':
      return { ExecutionArn: 'arn:exec', Status: 'SUCCEEDED', Output: {} };
    case 'batch:submitJob':
      return { JobId: 'j-1', Status: 'SUCCEEDED' };
    case 'elasticmapreduce:createCluster':
      return { ClusterId: 'j-1' };
    case 'elasticmapreduce:addStep':
      return { Id: 's-1', Status: { State: 'COMPLETED' } };
    default:
      return metadata;
  }
}

async function standIn(effect: InvokeEffect): Promise<InvokeOutcome> {
  return { ok: true, output: answer(effect) };
}

describe('public state machines', () => {
  it(`accepts ${share} unchanged`, () => {
    const refused = corpus.filter((one) => one.graph === undefined);
    expect(refused.map((one) => `${one.file}: ${one.problems}`)).toEqual([]);
    expect(accepted.length).toBeGreaterThanOrEqual(FLOOR);
  });

  it.each(accepted.map((one) => [one.file, one.graph] as const))('%s runs to an end', async (file, graph) => {
    // Prepare
    const compiled = compileGraph(graph as EngineGraph, {
      taskTokenSecret: 'corpus',
      maxTransitions: 2_000,
    });
    const clock = new VirtualClock(Date.parse('2026-01-01T00:00:00.000Z'));

    // Act
    const result = await runExecution(
      compiled,
      { executionId: 'corpus-1', input: INPUTS[file] ?? {}, startTime: clock.now() },
      { invoke: standIn, clock, maxInProcessWaitMs: 3_600_000 },
    );

    // Assess: the graph ran through its states to SUCCEEDED or to a failure it reached by its own rules.
    expect(['SUCCEEDED', 'FAILED']).toContain(result.status);
    statuses.set(file, result.status);
    expect(result.history.some((event) => event.type.endsWith('StateEntered'))).toBe(true);
  });

  it(`runs at least ${SUCCEEDED_FLOOR} of the accepted ones to SUCCEEDED on their sample inputs`, () => {
    const succeeded = [...statuses.values()].filter((status) => status === 'SUCCEEDED');
    expect(statuses.size).toBe(accepted.length);
    expect(succeeded.length).toBeGreaterThanOrEqual(SUCCEEDED_FLOOR);
  });
});
