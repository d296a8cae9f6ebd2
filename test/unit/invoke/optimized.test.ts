import { describe, expect, it } from 'vitest';
import type { InvokeEffect, JsonValue } from '../../../router/asl/index.ts';
import type { AwsEnvironment } from '../../../router/aws/index.ts';
import {
  createJobStopper,
  createOptimizedIntegrations,
} from '../../../router/invoke/OptimizedIntegrations.ts';
import { createSdkIntegrations } from '../../../router/invoke/SdkIntegrations.ts';
import { iamRequestSigner } from '../../../router/invoke/sigv4.ts';

const AWS: AwsEnvironment = { region: 'us-east-1' };
const signal = new AbortController().signal;

/** A command as the stub client received it: its class name (`PublishCommand`) and input. */
interface Sent {
  readonly command: string;
  readonly input: Record<string, unknown>;
}

/** An SDK service error as the v3 clients throw them (a name and `$metadata`). */
function serviceError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });
}

/**
 * Integrations over a stub at the SDK `send` boundary: every package loads as one module whose client
 * hands each command to `answer`, and whose command classes record their input.
 */
function stubbed(answer: (sent: Sent) => unknown) {
  const sent: Sent[] = [];
  const load = async (packageName: string): Promise<Record<string, unknown>> =>
    new Proxy(
      {
        StubClient: class {
          readonly packageName = packageName;
          async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
            const one = { command: command.constructor.name, input: command.input };
            sent.push(one);
            const result = answer(one);
            if (result instanceof Error) throw result;
            return result;
          }
        },
      },
      {
        get(target, key) {
          if (typeof key !== 'string' || !key.endsWith('Command')) return Reflect.get(target, key);
          return {
            [key]: class {
              constructor(readonly input: Record<string, unknown>) {}
            },
          }[key];
        },
        ownKeys: () => ['StubClient'],
        getOwnPropertyDescriptor: (target, key) => Reflect.getOwnPropertyDescriptor(target, key),
      },
    );
  const sdk = createSdkIntegrations(AWS, load);
  const integrations = createOptimizedIntegrations({ sdk });
  return { sent, integrations, stopJob: createJobStopper(sdk) };
}

function effect(input: JsonValue, poll?: JsonValue): InvokeEffect {
  const e: InvokeEffect = {
    type: 'invoke',
    id: 'T#1.0',
    resource: 'arn:aws:states:::x:y',
    input,
    idempotencyKey: 'exec-1:T#1',
    stateName: 'T',
    attempt: 0,
  };
  if (poll !== undefined) e.poll = poll;
  return e;
}

const metadata = { httpStatusCode: 200, requestId: 'req-1' };

describe('SNS publish', () => {
  it('sends a JSON Message as text and answers as Step Functions does, with the HTTP metadata', async () => {
    // Prepare
    const { sent, integrations } = stubbed(() => ({ MessageId: 'm-1', $metadata: metadata }));

    // Act
    const outcome = await integrations(
      'sns',
      'publish',
      'request-response',
      effect({ TopicArn: 'arn:aws:sns:us-east-1:1:t', Message: { hello: 'world' } }),
      signal,
    );

    // Assess
    expect(sent).toEqual([
      {
        command: 'PublishCommand',
        input: { TopicArn: 'arn:aws:sns:us-east-1:1:t', Message: '{"hello":"world"}' },
      },
    ]);
    expect(outcome).toEqual({
      ok: true,
      output: {
        MessageId: 'm-1',
        SdkHttpMetadata: {
          AllHttpHeaders: { 'x-amzn-RequestId': ['req-1'] },
          HttpHeaders: { 'x-amzn-RequestId': 'req-1' },
          HttpStatusCode: 200,
        },
        SdkResponseMetadata: { RequestId: 'req-1' },
      },
    });
  });

  it('names service errors SNS.<Name>, and a failure before any answer SNS.SdkClientException', async () => {
    const invalid = stubbed(() => serviceError('InvalidParameterException', 'Invalid parameter: TopicArn'));
    const offline = stubbed(() => new Error('connect ECONNREFUSED 127.0.0.1:4566'));
    const input = effect({ TopicArn: 'x', Message: 'hi' });

    expect(await invalid.integrations('sns', 'publish', 'request-response', input, signal)).toEqual({
      ok: false,
      error: 'SNS.InvalidParameterException',
      cause: 'Invalid parameter: TopicArn',
    });
    expect(await offline.integrations('sns', 'publish', 'request-response', input, signal)).toEqual({
      ok: false,
      error: 'SNS.SdkClientException',
      cause: 'connect ECONNREFUSED 127.0.0.1:4566',
    });
  });
});

describe('SQS sendMessage', () => {
  it('.waitForTaskToken sends the body with the token and waits for the callback', async () => {
    const { sent, integrations } = stubbed(() => ({ MessageId: 'q-1', $metadata: metadata }));

    const outcome = await integrations(
      'sqs',
      'sendMessage',
      'waitForTaskToken',
      effect({ QueueUrl: 'https://q', MessageBody: { taskToken: 'tok.mac', order: 7 } }),
      signal,
    );

    expect(outcome).toEqual({ pending: 'callback' });
    expect(sent[0]?.input).toEqual({
      QueueUrl: 'https://q',
      MessageBody: '{"taskToken":"tok.mac","order":7}',
    });
  });

  it('names an error whose SDK name lacks the suffix as Step Functions does (SQS.QueueDoesNotExistException)', async () => {
    const { integrations } = stubbed(() =>
      serviceError('QueueDoesNotExist', 'The specified queue does not exist.'),
    );

    const outcome = await integrations(
      'sqs',
      'sendMessage',
      'request-response',
      effect({ QueueUrl: 'q', MessageBody: 'x' }),
      signal,
    );

    expect(outcome).toMatchObject({ ok: false, error: 'SQS.QueueDoesNotExistException' });
  });
});

describe('DynamoDB', () => {
  it('getItem returns the item with the HTTP metadata', async () => {
    const { sent, integrations } = stubbed(() => ({ Item: { id: { S: 'a' } }, $metadata: metadata }));

    const outcome = await integrations(
      'dynamodb',
      'getItem',
      'request-response',
      effect({ TableName: 'Books', Key: { id: { S: 'a' } } }),
      signal,
    );

    expect(sent[0]).toEqual({
      command: 'GetItemCommand',
      input: { TableName: 'Books', Key: { id: { S: 'a' } } },
    });
    expect(outcome).toMatchObject({
      ok: true,
      output: { Item: { id: { S: 'a' } }, SdkHttpMetadata: { HttpStatusCode: 200 } },
    });
  });

  it('a failed condition is DynamoDB.ConditionalCheckFailedException (not the aws-sdk DynamoDb. prefix)', async () => {
    const { integrations } = stubbed(() =>
      serviceError('ConditionalCheckFailedException', 'The conditional request failed'),
    );

    const outcome = await integrations(
      'dynamodb',
      'deleteItem',
      'request-response',
      effect({ TableName: 'Books', Key: { id: { S: 'a' } }, ConditionExpression: 'attribute_exists(id)' }),
      signal,
    );

    expect(outcome).toEqual({
      ok: false,
      error: 'DynamoDB.ConditionalCheckFailedException',
      cause: 'The conditional request failed',
    });
  });
});

describe('EventBridge putEvents', () => {
  it('sends each Detail as text; a failed entry fails the task as EventBridge.FailedEntry', async () => {
    let failed = 0;
    const { sent, integrations } = stubbed(() => ({
      Entries: failed === 0 ? [{ EventId: 'e-1' }] : [{ ErrorCode: 'X', ErrorMessage: 'no' }],
      FailedEntryCount: failed,
      $metadata: metadata,
    }));
    const input = effect({
      Entries: [{ Detail: { a: 1 }, DetailType: 't', Source: 's', EventBusName: 'b' }],
    });

    const ok = await integrations('events', 'putEvents', 'request-response', input, signal);
    failed = 1;
    const bad = await integrations('events', 'putEvents', 'request-response', input, signal);

    expect(sent[0]?.input).toEqual({
      Entries: [{ Detail: '{"a":1}', DetailType: 't', Source: 's', EventBusName: 'b' }],
    });
    expect(ok).toEqual({ ok: true, output: { Entries: [{ EventId: 'e-1' }], FailedEntryCount: 0 } });
    expect(bad).toMatchObject({ ok: false, error: 'EventBridge.FailedEntry' });
  });
});

describe('Athena startQueryExecution.sync', () => {
  it('starts the query, then polls it on a growing interval until it ends', async () => {
    // Prepare
    const states = ['QUEUED', 'RUNNING', 'SUCCEEDED'];
    const { sent, integrations } = stubbed((one) =>
      one.command === 'StartQueryExecutionCommand'
        ? { QueryExecutionId: 'q-1', $metadata: metadata }
        : {
            QueryExecution: { QueryExecutionId: 'q-1', Status: { State: states.shift() } },
            $metadata: metadata,
          },
    );
    const params = { QueryString: 'SELECT 1', WorkGroup: 'primary' };

    // Act
    const started = await integrations('athena', 'startQueryExecution', 'sync', effect(params), signal);
    const outcomes = [started];
    while (outcomes.length < 5) {
      const last = outcomes.at(-1);
      if (last === undefined || !('pending' in last) || last.pending !== 'poll') break;
      outcomes.push(
        await integrations('athena', 'startQueryExecution', 'sync', effect(params, last.poll), signal),
      );
    }

    // Assess
    expect(outcomes.map((o) => ('afterSeconds' in o ? o.afterSeconds : o))).toEqual([
      1,
      2,
      5,
      { ok: true, output: { QueryExecution: { QueryExecutionId: 'q-1', Status: { State: 'SUCCEEDED' } } } },
    ]);
    expect(sent.map((s) => s.command)).toEqual([
      'StartQueryExecutionCommand',
      'GetQueryExecutionCommand',
      'GetQueryExecutionCommand',
      'GetQueryExecutionCommand',
    ]);
    expect(sent[1]?.input).toEqual({ QueryExecutionId: 'q-1' });
  });

  it('a failed query fails the task with States.TaskFailed and the query as cause', async () => {
    const query = { QueryExecutionId: 'q-1', Status: { State: 'FAILED', StateChangeReason: 'syntax' } };
    const { integrations } = stubbed(() => ({ QueryExecution: query, $metadata: metadata }));

    const outcome = await integrations(
      'athena',
      'startQueryExecution',
      'sync',
      effect({}, { handle: { QueryExecutionId: 'q-1' }, polls: 3 }),
      signal,
    );

    expect(outcome).toEqual({
      ok: false,
      error: 'States.TaskFailed',
      cause: JSON.stringify({ QueryExecution: query }),
    });
  });
});

describe('Batch submitJob.sync', () => {
  it("sends the API's camelCase (leaving the job's own Parameters as written) and answers in PascalCase", async () => {
    const { sent, integrations } = stubbed((one) =>
      one.command === 'SubmitJobCommand'
        ? { jobArn: 'arn:job', jobId: 'j-1', jobName: 'n', $metadata: metadata }
        : { jobs: [{ jobId: 'j-1', status: 'SUCCEEDED', container: { exitCode: 0 } }], $metadata: metadata },
    );

    const started = await integrations(
      'batch',
      'submitJob',
      'sync',
      effect({ JobName: 'n', JobQueue: 'q', JobDefinition: 'd', Parameters: { InputKey: 'v' } }),
      signal,
    );
    const done =
      'pending' in started && started.pending === 'poll'
        ? await integrations('batch', 'submitJob', 'sync', effect({}, started.poll), signal)
        : started;

    expect(sent[0]?.input).toEqual({
      jobName: 'n',
      jobQueue: 'q',
      jobDefinition: 'd',
      parameters: { InputKey: 'v' },
    });
    expect(sent[1]).toEqual({ command: 'DescribeJobsCommand', input: { jobs: ['j-1'] } });
    expect(done).toEqual({
      ok: true,
      output: { JobId: 'j-1', Status: 'SUCCEEDED', Container: { ExitCode: 0 } },
    });
  });
});

describe('ECS runTask.sync', () => {
  it('fails the task when a container of the stopped task exited with a non-zero code', async () => {
    const task = { taskArn: 'arn:task', lastStatus: 'STOPPED', containers: [{ name: 'c', exitCode: 2 }] };
    const { sent, integrations } = stubbed(() => ({ tasks: [task], $metadata: metadata }));

    const outcome = await integrations(
      'ecs',
      'runTask',
      'sync',
      effect({}, { handle: { Cluster: 'c1', TaskArn: 'arn:task' }, polls: 0 }),
      signal,
    );

    expect(sent[0]).toEqual({
      command: 'DescribeTasksCommand',
      input: { cluster: 'c1', tasks: ['arn:task'] },
    });
    expect(outcome).toMatchObject({ ok: false, error: 'States.TaskFailed' });
  });
});

describe('Step Functions startExecution', () => {
  it('.sync:2 gives the child output as JSON; .sync as text', async () => {
    const described = {
      executionArn: 'arn:exec',
      status: 'SUCCEEDED',
      output: '{"total":3}',
      $metadata: metadata,
    };
    const { sent, integrations } = stubbed((one) =>
      one.command === 'StartExecutionCommand'
        ? { executionArn: 'arn:exec', startDate: new Date(0), $metadata: metadata }
        : described,
    );

    const started = await integrations(
      'states',
      'startExecution',
      'sync:2',
      effect({ StateMachineArn: 'arn:sm', Input: { n: 1 } }),
      signal,
    );
    const poll = 'pending' in started && started.pending === 'poll' ? started.poll : null;
    const json = await integrations('states', 'startExecution', 'sync:2', effect({}, poll), signal);
    const text = await integrations('states', 'startExecution', 'sync', effect({}, poll), signal);

    expect(sent[0]).toEqual({
      command: 'StartExecutionCommand',
      input: { stateMachineArn: 'arn:sm', input: '{"n":1}' },
    });
    expect(sent[1]).toEqual({ command: 'DescribeExecutionCommand', input: { executionArn: 'arn:exec' } });
    expect(json).toEqual({
      ok: true,
      output: { ExecutionArn: 'arn:exec', Status: 'SUCCEEDED', Output: { total: 3 } },
    });
    expect(text).toMatchObject({ ok: true, output: { Output: '{"total":3}' } });
  });

  it('a child that already exists is StepFunctions.ExecutionAlreadyExistsException', async () => {
    const { integrations } = stubbed(() => serviceError('ExecutionAlreadyExists', 'exists'));

    const outcome = await integrations(
      'states',
      'startExecution',
      'request-response',
      effect({ StateMachineArn: 'a' }),
      signal,
    );

    expect(outcome).toMatchObject({ error: 'StepFunctions.ExecutionAlreadyExistsException' });
  });
});

describe('Bedrock invokeModel', () => {
  it('sends the Body as text and gives the model answer back parsed', async () => {
    const answer = new TextEncoder().encode('{"content":[{"text":"BILLING"}]}');
    const { sent, integrations } = stubbed(() => ({
      body: answer,
      contentType: 'application/json',
      $metadata: metadata,
    }));

    const outcome = await integrations(
      'bedrock',
      'invokeModel',
      'request-response',
      effect({ ModelId: 'anthropic.claude', Body: { max_tokens: 10 } }),
      signal,
    );

    expect(sent[0]?.input).toEqual({
      modelId: 'anthropic.claude',
      body: '{"max_tokens":10}',
      contentType: 'application/json',
      accept: 'application/json',
    });
    expect(outcome).toEqual({
      ok: true,
      output: { Body: { content: [{ text: 'BILLING' }] }, ContentType: 'application/json' },
    });
  });
});

describe('HTTP task and API Gateway', () => {
  function fetchStub(status: number, text: string) {
    const calls: { url: string; init: RequestInit | undefined }[] = [];
    const stub: typeof fetch = async (url, init) => {
      calls.push({ url: String(url), init });
      return new Response(status === 204 ? null : text, {
        status,
        headers: { 'content-type': 'application/json' },
      });
    };
    return { calls, stub };
  }

  function http(stub: typeof fetch) {
    return createOptimizedIntegrations({
      sdk: createSdkIntegrations(AWS, async () => ({})),
      http: { fetch: stub },
    });
  }

  it('http:invoke calls the URL with its query and JSON body and answers with the response', async () => {
    const { calls, stub } = fetchStub(200, '{"id":7}');

    const outcome = await http(stub)(
      'http',
      'invoke',
      'request-response',
      effect({
        ApiEndpoint: 'http://127.0.0.1:9/orders',
        Method: 'POST',
        Authentication: { ConnectionArn: 'arn:aws:events:us-east-1:1:connection/c/1' },
        QueryParameters: { dryRun: 'true' },
        RequestBody: { item: 'a' },
      }),
      signal,
    );

    expect(calls[0]?.url).toBe('http://127.0.0.1:9/orders?dryRun=true');
    expect(calls[0]?.init?.body).toBe('{"item":"a"}');
    expect(outcome).toEqual({
      ok: true,
      output: {
        Headers: { 'content-type': ['application/json'] },
        ResponseBody: { id: 7 },
        StatusCode: 200,
        StatusText: '',
      },
    });
  });

  it('a non-2xx answer is States.Http.StatusCode.NNN with the body as cause; no answer is States.Http.Socket', async () => {
    const { stub } = fetchStub(404, 'no such order');
    const refused: typeof fetch = async () => {
      throw new TypeError('fetch failed');
    };
    const input = effect({ ApiEndpoint: 'http://127.0.0.1:9/orders/1', Method: 'GET' });

    expect(await http(stub)('http', 'invoke', 'request-response', input, signal)).toEqual({
      ok: false,
      error: 'States.Http.StatusCode.404',
      cause: 'no such order',
    });
    expect(await http(refused)('http', 'invoke', 'request-response', input, signal)).toEqual({
      ok: false,
      error: 'States.Http.Socket',
      cause: 'fetch failed',
    });
  });

  it('apigateway:invoke builds the stage URL and names a non-2xx answer ApiGateway.NNN', async () => {
    const { calls, stub } = fetchStub(403, '{"message":"Forbidden"}');

    const outcome = await http(stub)(
      'apigateway',
      'invoke',
      'request-response',
      effect({
        ApiEndpoint: 'abc.execute-api.us-east-1.amazonaws.com',
        Stage: 'dev',
        Path: '/pets',
        Method: 'GET',
        QueryParameters: { n: ['1', '2'] },
      }),
      signal,
    );

    expect(calls[0]?.url).toBe('https://abc.execute-api.us-east-1.amazonaws.com/dev/pets?n=1&n=2');
    expect(outcome).toEqual({ ok: false, error: 'ApiGateway.403', cause: '{"message":"Forbidden"}' });
  });

  it('apigateway:invoke with AuthType IAM_ROLE is signed for execute-api in the region its host names', async () => {
    const { calls, stub } = fetchStub(200, '{}');
    const sign = iamRequestSigner('us-east-1', {
      credentials: async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }),
    });
    const integrations = createOptimizedIntegrations({
      sdk: createSdkIntegrations(AWS, async () => ({})),
      http: { fetch: stub, sign },
    });

    const outcome = await integrations(
      'apigateway',
      'invoke',
      'request-response',
      effect({
        ApiEndpoint: 'abc.execute-api.eu-west-1.amazonaws.com',
        Stage: 'prod',
        Method: 'POST',
        AuthType: 'IAM_ROLE',
        RequestBody: { a: 1 },
      }),
      signal,
    );

    const headers = new Headers(calls[0]?.init?.headers);
    expect(outcome).toMatchObject({ ok: true });
    expect(headers.get('authorization')).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=.*host.*, Signature=[0-9a-f]{64}$/,
    );
    expect(headers.get('x-amz-date')).toMatch(/^\d{8}T\d{6}Z$/);
  });
});

describe('stopping a .sync job its execution stopped waiting on', () => {
  it("sends the service's stop command with the job's handle, in the API's spelling", async () => {
    // Prepare
    const { sent, stopJob } = stubbed(() => ({ $metadata: metadata }));
    const athena = {
      ...effect({}, { handle: { QueryExecutionId: 'q-1' }, polls: 2 }),
      resource: 'arn:aws:states:::athena:startQueryExecution.sync',
    };
    const batch = {
      ...effect({}, { handle: { JobId: 'j-1' }, polls: 0 }),
      resource: 'arn:aws:states:::batch:submitJob.sync',
    };
    const notStarted = { ...effect({}), resource: 'arn:aws:states:::glue:startJobRun.sync' };
    const requestResponse = {
      ...effect({}, { handle: { JobId: 'j-2' }, polls: 0 }),
      resource: 'arn:aws:states:::batch:submitJob',
    };
    // Act
    const results = [
      await stopJob(athena, signal),
      await stopJob(batch, signal),
      await stopJob(notStarted, signal),
      await stopJob(requestResponse, signal),
    ];
    // Assess
    expect(results.map((r) => r.stopped)).toEqual([true, true, false, false]);
    expect(sent).toEqual([
      { command: 'StopQueryExecutionCommand', input: { QueryExecutionId: 'q-1' } },
      {
        command: 'TerminateJobCommand',
        input: { jobId: 'j-1', reason: 'stopped by the workflow that started it: its task stopped waiting' },
      },
    ]);
  });

  it('answers a refused stop instead of throwing', async () => {
    // Prepare
    const { stopJob } = stubbed(() => serviceError('InvalidRequestException', 'already finished'));
    const job = {
      ...effect({}, { handle: { ExecutionArn: 'arn:aws:states:us-east-1:1:execution:m:e' }, polls: 1 }),
      resource: 'arn:aws:states:::states:startExecution.sync:2',
    };
    // Act
    const result = await stopJob(job, signal);
    // Assess
    expect(result).toEqual({ stopped: false, error: 'StopExecution: already finished' });
  });
});
