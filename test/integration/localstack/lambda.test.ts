import {
  GetFunctionCommand,
  InvokeCommand,
  type InvokeCommandOutput,
  LambdaClient,
  ListFunctionsCommand,
  ResourceNotFoundException,
  TooManyRequestsException,
} from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import { createLambdaHost } from '../../../localstack/lambda/index.ts';
import { lambdaClient } from '../../../router/aws/clients.ts';
import { useLocalStack } from '../support/stack.ts';

const events: unknown[] = [];
let eventArrived: (event: unknown) => void = () => undefined;
/** `held` runs until the test releases it, so the slot it takes is taken for as long as the test needs. */
let heldStarted: () => void = () => undefined;
let releaseHeld: () => void = () => undefined;

const host = createLambdaHost({
  concurrencyLimit: 8,
  catalog: [
    { name: 'echo', entry: 'test/fixtures/handlers/echo.ts', description: 'echoes its event', memoryMb: 512 },
    { name: 'fail', entry: 'test/fixtures/handlers/fail.ts', description: 'throws PaymentDeclined' },
    { name: 'slow', entry: 'test/fixtures/handlers/slow.ts', description: 'sleeps', timeoutSeconds: 1 },
  ],
  functions: {
    held: {
      reservedConcurrency: 1,
      handler: async () => {
        const released = new Promise<void>((resolve) => {
          releaseHeld = resolve;
        });
        heldStarted();
        await released;
        return { held: true };
      },
    },
    record: async (event) => {
      events.push(event);
      eventArrived(event);
      return null;
    },
  },
});
const stack = useLocalStack({ services: [host] });

function payloadOf(output: InvokeCommandOutput): unknown {
  return JSON.parse(Buffer.from(output.Payload ?? new Uint8Array()).toString('utf8'));
}

describe('Lambda host through the edge with the AWS SDK', () => {
  it('invokes RequestResponse by ARN and returns the payload and executed version', async () => {
    // Prepare
    const lambda = lambdaClient(stack().aws);
    const clientContext = Buffer.from(JSON.stringify({ custom: { caller: 'test' } })).toString('base64');

    // Act
    const output = await lambda.send(
      new InvokeCommand({
        FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:echo:7',
        Payload: JSON.stringify({ order: 42 }),
        ClientContext: clientContext,
        LogType: 'Tail',
      }),
    );

    // Assess
    expect(output.StatusCode).toBe(200);
    expect(output.FunctionError).toBeUndefined();
    expect(output.ExecutedVersion).toBe('7');
    expect(payloadOf(output)).toMatchObject({
      event: { order: 42 },
      context: {
        functionName: 'echo',
        functionVersion: '7',
        invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:echo:7',
        memoryLimitInMB: '512',
        clientContext: { custom: { caller: 'test' } },
      },
    });
    expect(Buffer.from(output.LogResult ?? '', 'base64').toString()).toMatch(/^START RequestId: /);
  });

  it('reports a thrown error as FunctionError Unhandled with the error type', async () => {
    const lambda = lambdaClient(stack().aws);

    const output = await lambda.send(
      new InvokeCommand({ FunctionName: 'fail', Payload: JSON.stringify({ reason: 'insufficient funds' }) }),
    );

    expect(output.StatusCode).toBe(200);
    expect(output.FunctionError).toBe('Unhandled');
    expect(payloadOf(output)).toMatchObject({
      errorType: 'PaymentDeclined',
      errorMessage: 'insufficient funds',
    });
  });

  it('times out a handler that runs past its timeout', async () => {
    const lambda = lambdaClient(stack().aws);

    const output = await lambda.send(
      new InvokeCommand({ FunctionName: 'slow', Payload: JSON.stringify({ ms: 1500 }) }),
    );

    expect(output.FunctionError).toBe('Unhandled');
    expect(payloadOf(output)).toMatchObject({
      errorType: 'Sandbox.Timedout',
      errorMessage: expect.stringMatching(/Error: Task timed out after 1\.00 seconds$/),
    });
  });

  it('answers Event with 202 and runs the handler afterwards', async () => {
    const lambda = lambdaClient(stack().aws);
    const arrived = new Promise<unknown>((resolve) => {
      eventArrived = resolve;
    });

    const output = await lambda.send(
      new InvokeCommand({
        FunctionName: 'record',
        InvocationType: 'Event',
        Payload: JSON.stringify({ n: 1 }),
      }),
    );

    expect(output.StatusCode).toBe(202);
    expect(await arrived).toEqual({ n: 1 });
  });

  it('answers DryRun with 204 without running the handler', async () => {
    const lambda = lambdaClient(stack().aws);
    const before = events.length;

    const output = await lambda.send(new InvokeCommand({ FunctionName: 'record', InvocationType: 'DryRun' }));

    expect(output.StatusCode).toBe(204);
    expect(events).toHaveLength(before);
  });

  it('surfaces an unknown function as ResourceNotFoundException', async () => {
    const lambda = lambdaClient(stack().aws);

    const error = await lambda
      .send(new InvokeCommand({ FunctionName: 'missing' }))
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect((error as ResourceNotFoundException).message).toBe(
      'Function not found: arn:aws:lambda:us-east-1:000000000000:function:missing',
    );
  });

  it('throttles beyond reserved concurrency with TooManyRequestsException and its reason', async () => {
    // Throttling is retryable: with the SDK's own retries the second call could outlast the first.
    const { endpoint, region, credentials } = stack().aws;
    const lambda = new LambdaClient({
      region,
      maxAttempts: 1,
      ...(endpoint === undefined ? {} : { endpoint }),
      ...(credentials === undefined ? {} : { credentials }),
    });
    const running = new Promise<void>((resolve) => {
      heldStarted = resolve;
    });
    const holding = lambda.send(new InvokeCommand({ FunctionName: 'held' }));
    await running;

    const error = await lambda
      .send(new InvokeCommand({ FunctionName: 'held' }))
      .catch((caught: unknown) => caught);
    releaseHeld();

    expect(error).toBeInstanceOf(TooManyRequestsException);
    expect((error as TooManyRequestsException).Reason).toBe(
      'ReservedFunctionConcurrentInvocationLimitExceeded',
    );
    expect((error as TooManyRequestsException).$metadata.httpStatusCode).toBe(429);
    expect((await holding).StatusCode).toBe(200);
  });

  it('describes functions with GetFunction and ListFunctions', async () => {
    const lambda = lambdaClient(stack().aws);

    const one = await lambda.send(new GetFunctionCommand({ FunctionName: 'echo' }));
    const all = await lambda.send(new ListFunctionsCommand({}));

    expect(one.Configuration).toMatchObject({ FunctionName: 'echo', MemorySize: 512, Runtime: 'nodejs22.x' });
    expect(all.Functions?.map((fn) => fn.FunctionName).sort()).toEqual([
      'echo',
      'fail',
      'held',
      'record',
      'slow',
    ]);
  });
});
