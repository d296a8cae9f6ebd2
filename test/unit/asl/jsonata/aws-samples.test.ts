/**
 * Public AWS sample state machines written in JSONata with variables (test/fixtures/jsonata, sources in
 * its README): each is validated as published with every resource allowed, and run with the mocks of
 * test/fixtures/jsonata/mocks.json (the Step Functions Local format `router engine run --mocks` reads) to
 * its end.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  compileGraph,
  createMockInvoker,
  type EngineGraph,
  formatProblems,
  type InvokeEffect,
  type JsonValue,
  loadGraph,
  parseMockConfig,
  runExecution,
  selectTestCase,
  VirtualClock,
} from '../../../../router/asl/index.ts';
import { T0 } from '../interpreter/helpers.ts';

const FIXTURES = new URL('../../../fixtures/jsonata/', import.meta.url);
const ACCOUNT = '123456789012';

/** The values SAM or CloudFormation would substitute for the samples' `${Name}` placeholders. */
const PLACEHOLDERS = {
  OutputBucket: 'meeting-output',
  StateMachineUtilAquireLock: `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:acquire-lock`,
  StateMachineUtilReleaseLock: `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:release-lock`,
  FunctionPreparePromptFromTranscript: 'prepare-prompt',
  EventTypeTranscriptionCompleted: 'TranscriptionCompleted',
  EventTranscriptionSummarizationCompleted: 'SummarizationCompleted',
  EventBusName: 'meetings',
  EventSource: 'meeting.summarization',
};

function source(name: string): string {
  return readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8');
}

/**
 * The sample with the Tasks that hand `$states.context.Task.Token` to a child execution waiting for that
 * token (`.waitForTaskToken`) instead of the child's end (`.sync:2`): this runtime gives a token to
 * callback and activity Tasks only (docs/integrations.md).
 */
function asCallbacks(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(asCallbacks);
  if (value === null || typeof value !== 'object') return value;
  const handsToken = JSON.stringify(value.Arguments ?? null).includes('$states.context.Task.Token');
  const out: Record<string, JsonValue> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] =
      key === 'Resource' && handsToken && typeof item === 'string'
        ? item.replace(/\.sync(:2)?$/, '.waitForTaskToken')
        : asCallbacks(item);
  }
  return out;
}

function load(name: string, text: string): ReturnType<typeof loadGraph> {
  return loadGraph(text, { file: `${name}.json`, variables: PLACEHOLDERS, allowlist: ['*'] });
}

function loaded(name: string, callbacks: boolean): EngineGraph {
  const text = callbacks ? JSON.stringify(asCallbacks(JSON.parse(source(name)) as JsonValue)) : source(name);
  const { graph, problems } = load(name, text);
  if (graph === undefined) throw new Error(formatProblems(problems));
  return graph;
}

const mockFile = parseMockConfig(
  readFileSync(new URL('mocks.json', FIXTURES), 'utf8'),
  'test/fixtures/jsonata/mocks.json',
);

function mocks(): NonNullable<typeof mockFile.config> {
  if (mockFile.config === undefined) throw new Error(formatProblems(mockFile.problems));
  return mockFile.config;
}

/** Runs a sample with a test case of the mock file on a virtual clock, recording every invoke. */
async function runSample(name: string, testCase: string, input: JsonValue, callbacks = false) {
  const compiled = compileGraph(loaded(name, callbacks), {
    stateMachineName: name,
    stateMachineId: `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:${name}`,
    taskTokenSecret: 'aws-samples',
  });
  const mocked = createMockInvoker(selectTestCase(mocks(), [name], testCase));
  const invokes: InvokeEffect[] = [];
  const clock = new VirtualClock(T0);
  const result = await runExecution(
    compiled,
    { executionId: `arn:aws:states:us-east-1:${ACCOUNT}:execution:${name}:run-1`, input, startTime: T0 },
    {
      invoke: (effect, signal) => {
        invokes.push(effect);
        return mocked.invoke(effect, signal);
      },
      clock,
      maxInProcessWaitMs: Number.POSITIVE_INFINITY,
    },
  );
  const inputsOf = (state: string): JsonValue[] =>
    invokes.filter((e) => e.stateName === state).map((e) => e.input);
  return { result, invokes, inputsOf, elapsed: clock.now() - T0 };
}

/** Each sample and what keeps it from running, if anything (docs/jsonata.md). */
const SAMPLES: ReadonlyArray<{ name: string; refused: readonly string[] }> = [
  { name: 'bedrock-evaluations', refused: [] },
  { name: 'meeting-transcribe-file', refused: [] },
  { name: 'meeting-summarize-transcription', refused: [] },
  { name: 'stream-aggregator', refused: [] },
  { name: 'stream-aggregator-extraction-child', refused: [] },
  { name: 'stream-aggregator-processing-child', refused: [] },
];

describe('AWS sample state machines in JSONata with variables: validation as published', () => {
  it('reads the mock file of the samples', () => {
    expect(mockFile.problems).toEqual([]);
    expect([...mocks().stateMachines.keys()].sort()).toEqual(
      SAMPLES.map((s) => s.name)
        .filter((name) => name !== 'stream-aggregator')
        .sort(),
    );
  });

  it.each(SAMPLES)('$name: valid, or refused for exactly its listed reasons', ({ name, refused }) => {
    // Act
    const { graph, problems } = load(name, source(name));

    // Assess
    const messages = problems.map((p) =>
      p.state === undefined ? p.message : `state '${p.state}': ${p.message}`,
    );
    expect(graph === undefined).toBe(refused.length > 0);
    expect(messages).toHaveLength(refused.length);
    for (const reason of refused) expect(messages.some((m) => m.includes(reason))).toBe(true);
    // Every JSONata expression of every sample parses and reads only what it may.
    expect(messages.filter((m) => /JSONata|QueryLanguage|\$states|variable/.test(m))).toEqual([]);
  });
});

describe('AWS sample state machines in JSONata with variables: runs with mocks', () => {
  it('bedrock-evaluations: two branches, each polling its ingestion and evaluation through its own variables', async () => {
    // Act
    const run = await runSample('bedrock-evaluations', 'BothEvaluationsComplete', {});

    // Assess
    expect(run.result).toMatchObject({
      status: 'SUCCEEDED',
      output: [{ Status: 'Completed' }, { Status: 'Completed' }],
    });
    expect(run.inputsOf('Get Ingestion Job')).toEqual(
      Array(3).fill({ DataSourceId: 'DS1', IngestionJobId: 'IJ1', KnowledgeBaseId: 'KB1' }),
    );
    expect(run.inputsOf('Get Ingestion Job 2')).toEqual(
      Array(3).fill({ DataSourceId: 'DS2', IngestionJobId: 'IJ2', KnowledgeBaseId: 'KB2' }),
    );
    expect(run.inputsOf('Get Evaluation Job Status 2')).toEqual(
      Array(2).fill({ JobIdentifier: 'arn:aws:bedrock:us-east-1:000000000000:evaluation-job/ej2' }),
    );
    const [job] = run.inputsOf('Create Evaluation Job') as [{ JobName: string }];
    expect(job.JobName).toMatch(/^evaluationjobkb1[0-9a-f-]{36}$/);
    // On the virtual clock, the slower branch: its first Wait (30 s), three 60 s waits, two 10-minute ones.
    expect(run.elapsed).toBe((30 + 60 * 3 + 600 * 2) * 1000);
  });

  it('bedrock-evaluations: a failed evaluation in one branch fails the execution at its Fail state', async () => {
    const run = await runSample('bedrock-evaluations', 'SecondEvaluationFails', {});
    expect(run.result).toMatchObject({ status: 'FAILED', error: '', cause: '' });
  });

  it('meeting-transcribe-file: configuration in variables carried to the summary, the copy and the event', async () => {
    // Act
    const run = await runSample('meeting-transcribe-file', 'Transcribed', {
      detail: { bucket: { name: 'in-bucket' }, object: { key: 'uploads/weekly sync.mp4' } },
    });

    // Assess
    expect(run.result.status).toBe('SUCCEEDED');
    const [start] = run.inputsOf('Start Transcription Job') as [{ TranscriptionJobName: string }];
    // $now('[Y]-[M]-[D]') on the execution's clock, a $uuid(), and the file name with '-' for spaces.
    expect(start.TranscriptionJobName).toMatch(/^2026-1-1--[0-9a-f-]{36}--weekly-sync\.mp4$/);
    const job = start.TranscriptionJobName;
    expect(start).toEqual({
      Media: { MediaFileUri: 's3://in-bucket/uploads/weekly sync.mp4' },
      TranscriptionJobName: job,
      OutputBucketName: 'meeting-output',
      OutputKey: `intermediate-files/${job}/transcription.json`,
      IdentifyLanguage: true,
    });
    const summary = {
      job_name: 'weekly-sync',
      job_status: 'COMPLETED',
      job_start_time: '2026-01-01T00:00:20Z',
      job_completion_time: '2026-01-01T00:00:40Z',
      language: 'en-US',
      mediaformat: 'mp4',
      transcript_file_uri: 'https://s3.us-east-1.amazonaws.com/out/transcription.json',
      transcript_file_s3: 's3://in-bucket/uploads/weekly sync.mp4',
      transcript_file_bucket: 'meeting-output',
      transcript_file_key: `intermediate-files/${job}/transcription.json`,
      input_file_name: 'weekly sync.mp4',
    };
    expect(run.inputsOf('Write Transcription Job Summary')).toEqual([
      {
        Body: summary,
        Bucket: 'meeting-output',
        Key: `completed-files/${job}/transcription_job_summary.json`,
      },
    ]);
    expect(run.inputsOf('Copy Transcription File From Temporary')).toEqual([
      {
        CopySource: `meeting-output/intermediate-files/${job}/transcription.json`,
        Bucket: 'meeting-output',
        Key: `completed-files/${job}/transcription_output.json`,
      },
    ]);
    expect(run.inputsOf('Publish Event - Transcription Completed')).toEqual([
      {
        Entries: [
          {
            Detail: { transcription_job_info: summary, result_folder: `completed-files/${job}/` },
            DetailType: 'TranscriptionCompleted',
            EventBusName: 'meetings',
            Source: 'meeting.summarization',
          },
        ],
      },
    ]);
    const [lock] = run.inputsOf('Aquire Lock') as [{ Input: { lock_entry: string } }];
    expect(lock.Input.lock_entry).toBe(
      `arn:aws:states:us-east-1:${ACCOUNT}:execution:meeting-transcribe-file:run-1`,
    );
  });

  it('meeting-transcribe-file: a failed job has no language or transcript, so the Assign of its poll fails', async () => {
    // Act
    const run = await runSample('meeting-transcribe-file', 'TranscriptionFails', {
      detail: { bucket: { name: 'in-bucket' }, object: { key: 'uploads/weekly sync.mp4' } },
    });

    // Assess: as in Step Functions, the evaluation error is retried by the state's States.ALL retrier.
    expect(run.inputsOf('Get Transcription Job')).toHaveLength(10);
    expect(run.result).toMatchObject({
      status: 'FAILED',
      error: 'States.QueryEvaluationError',
      cause:
        "An error occurred while executing the state 'Get Transcription Job'. The JSONata expression '$states.result.TranscriptionJob.LanguageCode' specified for the field 'Assign/transcription_job_info/language' returned nothing (undefined).",
    });
  });

  it('meeting-summarize-transcription: the model ARN from the state machine ARN, a retried throttle, the summary stored', async () => {
    // Act
    const run = await runSample('meeting-summarize-transcription', 'Summarized', {
      inbucketname: 'in-bucket',
      inkey: 'completed-files/weekly-sync/transcription_output.json',
      job_name: 'weekly-sync',
    });

    // Assess
    expect(run.result.status).toBe('SUCCEEDED');
    expect(run.inputsOf('Create Prompt From Transcription')).toEqual([
      {
        FunctionName: 'prepare-prompt',
        Payload: {
          bucket_name: 'in-bucket',
          key: 'completed-files/weekly-sync/transcription_output.json',
          prompt_text: 'Create a summary from the following transcription of a meeting',
        },
      },
    ]);
    // $split($states.context.StateMachine.Id, ':')[-4] is the region; the throttled call is retried.
    expect(run.inputsOf('Create Summary of Transcription')).toEqual(
      Array(2).fill({
        ModelId: 'arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-v2:1',
        ContentType: 'application/json',
        Input: { S3Uri: 's3://in-bucket/prompts/weekly-sync.json' },
      }),
    );
    expect(run.inputsOf('Store Transcription Summary')).toEqual([
      {
        Body: { Body: { completion: 'The team agreed to ship on Friday.' }, ContentType: 'application/json' },
        Bucket: 'meeting-output',
        Key: 'completed-files/weekly-sync/transcription_summary_anthropic.claude-v2.json',
      },
    ]);
  });

  it('stream-aggregator-extraction-child: as published, a .sync:2 Task has no task token to hand on', async () => {
    // Act
    const run = await runSample('stream-aggregator-extraction-child', 'TwoPagesOfFailed', {
      locationId: 'loc-7',
      taskId: 'task-1',
      taskToken: 'parent-token',
    });

    // Assess
    expect(run.invokes).toEqual([]);
    expect(run.result).toMatchObject({
      status: 'FAILED',
      error: 'States.QueryEvaluationError',
      cause:
        "An error occurred while executing the state 'Get Data'. The JSONata expression '$states.context.Task.Token' specified for the field 'Arguments/Input/childTaskToken' returned nothing (undefined).",
    });
  });

  it('stream-aggregator-extraction-child: as callbacks, a Map whose iterations page through their own variables', async () => {
    // Act
    const run = await runSample(
      'stream-aggregator-extraction-child',
      'TwoPagesOfFailed',
      { locationId: 'loc-7', taskId: 'task-1', taskToken: 'parent-token' },
      true,
    );

    // Assess
    expect(run.result).toMatchObject({ status: 'SUCCEEDED', output: {} });
    const pages = run.inputsOf('Get Data') as { Input: Record<string, JsonValue> }[];
    // Both iterations start; 'failed' gets a full page (400) and pages on from the offset it assigned.
    expect(pages.map((p) => [p.Input.dataType, p.Input.limit, p.Input.offset])).toEqual([
      ['failed', 400, 0],
      ['rejected', 400, 0],
      ['failed', 400, 400],
    ]);
    expect(pages.every((p) => typeof p.Input.childTaskToken === 'string')).toBe(true);
    expect(run.inputsOf('PutObject')).toEqual([
      {
        Body: '[{"discount_code":"A1"}]',
        Bucket: 's3-bucket-name',
        Key: `tmp/task-1/part-${T0}.json`,
        ContentType: 'application/json',
      },
      {
        Body: '[{"discount_code":"B2"}]',
        Bucket: 's3-bucket-name',
        Key: `tmp/task-1/part-${T0}.json`,
        ContentType: 'application/json',
      },
    ]);
    expect(run.inputsOf('SendTaskSuccess')).toEqual([
      { Output: '{"status": " complete"}', TaskToken: 'parent-token' },
    ]);
  });

  it('stream-aggregator-processing-child: one page formatted by a Map and reported with the next offset', async () => {
    // Act
    const run = await runSample('stream-aggregator-processing-child', 'OnePage', {
      locationId: 'loc-7',
      dataType: 'failed',
      limit: 400,
      offset: 0,
      childTaskToken: 'child-token',
    });

    // Assess
    expect(run.result.status).toBe('SUCCEEDED');
    expect(run.inputsOf('Get Data')).toEqual([
      {
        ApiEndpoint: 'api_endpointloc-7/get-data',
        Method: 'GET',
        InvocationConfig: { ConnectionArn: 'ConnectionArn' },
        QueryParameters: { state: 'failed', limit: 400, offset: 0 },
      },
    ]);
    expect(run.inputsOf('SendTaskSuccess')).toEqual([
      {
        Output: {
          csvContent: [
            { discount_code: 'SPRING10', error_message: 'code SPRING10 expired', status: 'failed' },
            { discount_code: 'VIP', error_message: 'not eligible', status: 'rejected' },
          ],
          resultCount: 2,
          offset: 2,
        },
        TaskToken: 'child-token',
      },
    ]);
  });
});
