import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createLambdaHost, type HostLog, parseFunctionName } from '../../../../localstack/lambda/index.ts';
import type { EdgeRequest, EdgeResponse } from '../../../../localstack/service.ts';

function invokeRequest(
  functionName: string,
  payload: string | undefined,
  headers: Record<string, string> = {},
  query = '',
): EdgeRequest {
  return {
    method: 'POST',
    url: `/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations${query}`,
    headers,
    body: Buffer.from(payload ?? ''),
    region: 'eu-west-1',
  };
}

function bodyOf(response: EdgeResponse): unknown {
  const raw = response.body === undefined ? '' : response.body.toString();
  return raw === '' ? undefined : JSON.parse(raw);
}

function recordingLog(): HostLog & { errors: { message: string; extra?: Record<string, unknown> }[] } {
  const errors: { message: string; extra?: Record<string, unknown> }[] = [];
  return {
    errors,
    info: () => undefined,
    error: (message, extra) => errors.push(extra === undefined ? { message } : { message, extra }),
  };
}

describe('parseFunctionName', () => {
  it('accepts a name, a partial ARN and a full ARN, each with a qualifier', () => {
    expect(parseFunctionName('echo')).toEqual({ name: 'echo' });
    expect(parseFunctionName('echo:live')).toEqual({ name: 'echo', qualifier: 'live' });
    expect(parseFunctionName('123456789012:function:echo:7')).toEqual({
      name: 'echo',
      qualifier: '7',
      account: '123456789012',
    });
    expect(parseFunctionName('arn:aws:lambda:eu-west-1:123456789012:function:echo:$LATEST')).toEqual({
      name: 'echo',
      qualifier: '$LATEST',
      region: 'eu-west-1',
      account: '123456789012',
    });
    expect(parseFunctionName('echo', 'live')).toEqual({ name: 'echo', qualifier: 'live' });
  });

  it('rejects a qualifier that contradicts the one in the ARN', () => {
    expect(() => parseFunctionName('echo:live', 'canary')).toThrow(
      'The derived qualifier from the function name (live) does not match the specified qualifier (canary).',
    );
  });

  it('rejects malformed names and ARNs of other services, naming the value', () => {
    expect(() => parseFunctionName('arn:aws:sqs:eu-west-1:123456789012:queue')).toThrow(
      /Value 'arn:aws:sqs:eu-west-1:123456789012:queue' at 'functionName'/,
    );
    expect(() => parseFunctionName('has space')).toThrow(/'has space'/);
    expect(() => parseFunctionName('a'.repeat(65))).toThrow(/functionName/);
  });
});

describe('createLambdaHost', () => {
  it('answers RequestResponse with the payload, the executed version and the context fields', async () => {
    // Prepare
    const host = createLambdaHost({
      catalog: [
        { name: 'echo', entry: 'test/fixtures/handlers/echo.ts', description: 'echo', memoryMb: 256 },
      ],
    });
    const clientContext = Buffer.from(JSON.stringify({ custom: { tenant: 'a' } })).toString('base64');

    // Act
    const response = await host.handle(
      invokeRequest('arn:aws:lambda:eu-west-1:000000000000:function:echo', '{"hello":"world"}', {
        'x-amz-client-context': clientContext,
      }),
    );

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers?.['x-amz-executed-version']).toBe('$LATEST');
    expect(response.headers?.['x-amz-function-error']).toBeUndefined();
    const body = bodyOf(response) as { event: unknown; context: Record<string, unknown> };
    expect(body.event).toEqual({ hello: 'world' });
    expect(body.context).toMatchObject({
      functionName: 'echo',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:echo',
      memoryLimitInMB: '256',
      logGroupName: '/aws/lambda/echo',
      clientContext: { custom: { tenant: 'a' } },
      callbackWaitsForEmptyEventLoop: true,
    });
    expect(body.context.awsRequestId).toBe(response.headers?.['x-amzn-requestid']);
    expect(body.context.remainingMs).toBeGreaterThan(2_000);
    expect(body.context.remainingMs).toBeLessThanOrEqual(3_000);
    await host.close();
  });

  it('returns a thrown error as Lambda does: 200, X-Amz-Function-Error and errorType/errorMessage/trace', async () => {
    const host = createLambdaHost({
      catalog: [{ name: 'fail', entry: 'test/fixtures/handlers/fail.ts', description: 'fails' }],
    });

    const response = await host.handle(invokeRequest('fail', '{"reason":"limit reached"}'));

    expect(response.status).toBe(200);
    expect(response.headers?.['x-amz-function-error']).toBe('Unhandled');
    const body = bodyOf(response) as { errorType: string; errorMessage: string; trace: string[] };
    expect(Object.keys(body)).toEqual(['errorType', 'errorMessage', 'trace']);
    expect(body.errorType).toBe('PaymentDeclined');
    expect(body.errorMessage).toBe('limit reached');
    expect(body.trace[0]).toBe('PaymentDeclined: limit reached');
  });

  it('times a slow handler out with Sandbox.Timedout', async () => {
    const host = createLambdaHost({
      functions: { slow: { entry: 'test/fixtures/handlers/slow.ts', timeoutSeconds: 0.05 } },
    });

    const response = await host.handle(invokeRequest('slow', '{"ms":400}'));

    expect(response.status).toBe(200);
    expect(response.headers?.['x-amz-function-error']).toBe('Unhandled');
    const requestId = response.headers?.['x-amzn-requestid'];
    expect(bodyOf(response)).toEqual({
      errorType: 'Sandbox.Timedout',
      errorMessage: `RequestId: ${requestId} Error: Task timed out after 0.05 seconds`,
    });
  });

  it('reports a module without a handler export as Runtime.HandlerNotFound', async () => {
    const host = createLambdaHost({ functions: { broken: { entry: 'localstack/lambda/errors.ts' } } });

    const response = await host.handle(invokeRequest('broken', '{}'));

    expect(response.headers?.['x-amz-function-error']).toBe('Unhandled');
    expect(bodyOf(response)).toMatchObject({
      errorType: 'Runtime.HandlerNotFound',
      errorMessage: 'localstack/lambda/errors.ts.handler is undefined or not exported',
    });
  });

  it('answers an unknown function with 404 ResourceNotFoundException naming its ARN', async () => {
    const host = createLambdaHost({ catalog: [] });

    const response = await host.handle(invokeRequest('nope:live', '{}'));

    expect(response.status).toBe(404);
    expect(response.headers?.['x-amzn-errortype']).toBe('ResourceNotFoundException');
    expect(bodyOf(response)).toEqual({
      Type: 'User',
      message: 'Function not found: arn:aws:lambda:eu-west-1:000000000000:function:nope:live',
    });
  });

  it('rejects a payload that is not JSON with 400 InvalidRequestContentException', async () => {
    const host = createLambdaHost({ functions: { echo: async (event) => event } });

    const response = await host.handle(invokeRequest('echo', '{not json'));

    expect(response.status).toBe(400);
    expect(response.headers?.['x-amzn-errortype']).toBe('InvalidRequestContentException');
    expect(bodyOf(response)).toMatchObject({
      message: expect.stringMatching(/^Could not parse request body into json/),
    });
  });

  it('rejects a payload above 6 MB with 413 RequestTooLargeException', async () => {
    const host = createLambdaHost({ functions: { echo: async (event) => event } });

    const response = await host.handle(invokeRequest('echo', JSON.stringify('x'.repeat(6_291_457))));

    expect(response.status).toBe(413);
    expect(response.headers?.['x-amzn-errortype']).toBe('RequestTooLargeException');
  });

  it('serves DryRun with 204 and runs nothing', async () => {
    let calls = 0;
    const host = createLambdaHost({
      functions: {
        count: async () => {
          calls += 1;
          return calls;
        },
      },
    });

    const response = await host.handle(invokeRequest('count', '{}', { 'x-amz-invocation-type': 'DryRun' }));

    expect(response.status).toBe(204);
    expect(calls).toBe(0);
  });

  it('runs an Event invocation after the 202 and logs its error', async () => {
    const log = recordingLog();
    const order: string[] = [];
    const host = createLambdaHost({
      log,
      functions: {
        later: async () => {
          order.push('handler');
          throw new TypeError('event went wrong');
        },
      },
    });

    const response = await host.handle(invokeRequest('later', '{}', { 'x-amz-invocation-type': 'Event' }));
    order.push('responded');
    await host.close();

    expect(response.status).toBe(202);
    expect(response.body).toBe('');
    expect(order).toEqual(['responded', 'handler']);
    expect(log.errors).toHaveLength(1);
    expect(log.errors[0]?.message).toBe('Asynchronous invocation failed');
    expect(String(log.errors[0]?.extra?.error)).toContain('"errorType":"TypeError"');
  });

  it('throttles RequestResponse calls beyond the concurrency limits with the reason', async () => {
    const release: (() => void)[] = [];
    const hold = () => new Promise<string>((resolve) => release.push(() => resolve('done')));
    const host = createLambdaHost({
      concurrencyLimit: 2,
      functions: { held: { handler: hold, reservedConcurrency: 1 }, other: hold },
    });

    const first = host.handle(invokeRequest('held', '{}'));
    await sleep(5);
    const reserved = await host.handle(invokeRequest('held', '{}'));
    const second = host.handle(invokeRequest('other', '{}'));
    await sleep(5);
    const account = await host.handle(invokeRequest('other', '{}'));
    for (const done of release) done();

    expect(reserved.status).toBe(429);
    expect(bodyOf(reserved)).toMatchObject({ Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' });
    expect(account.status).toBe(429);
    expect(account.headers?.['x-amzn-errortype']).toBe('TooManyRequestsException');
    expect(bodyOf(account)).toMatchObject({ Reason: 'ConcurrentInvocationLimitExceeded' });
    expect((await first).status).toBe(200);
    expect((await second).status).toBe(200);
    // Slots are returned: the limit admits new calls again.
    expect(
      (await host.handle(invokeRequest('held', '{}', { 'x-amz-invocation-type': 'DryRun' }))).status,
    ).toBe(204);
  });

  it('queues Event invocations at the limit instead of throttling them', async () => {
    let running = 0;
    let peak = 0;
    const host = createLambdaHost({
      concurrencyLimit: 1,
      functions: {
        busy: async () => {
          running += 1;
          peak = Math.max(peak, running);
          await sleep(10);
          running -= 1;
        },
      },
    });

    const responses = await Promise.all(
      [1, 2, 3].map(() => host.handle(invokeRequest('busy', '{}', { 'x-amz-invocation-type': 'Event' }))),
    );
    await host.close();

    expect(responses.map((response) => response.status)).toEqual([202, 202, 202]);
    expect(peak).toBe(1);
    expect(running).toBe(0);
  });

  it('injects 429 and 500 faults at the failure rate before running the handler', async () => {
    const draws = [0.1, 0.2, 0.1, 0.9, 0.8];
    let calls = 0;
    const host = createLambdaHost({
      failureRate: 0.5,
      random: () => draws.shift() ?? 0.99,
      functions: {
        echo: async (event) => {
          calls += 1;
          return event;
        },
      },
    });

    const throttledResponse = await host.handle(invokeRequest('echo', '{}'));
    const serviceError = await host.handle(invokeRequest('echo', '{}'));
    const ok = await host.handle(invokeRequest('echo', '{"a":1}'));

    expect(throttledResponse.status).toBe(429);
    expect(serviceError.status).toBe(500);
    expect(serviceError.headers?.['x-amzn-errortype']).toBe('ServiceException');
    expect(bodyOf(serviceError)).toMatchObject({ Type: 'Service' });
    expect(ok.status).toBe(200);
    expect(bodyOf(ok)).toEqual({ a: 1 });
    expect(calls).toBe(1);
  });

  it('describes functions through GetFunction and ListFunctions', async () => {
    const host = createLambdaHost({
      catalog: [
        { name: 'echo', entry: 'test/fixtures/handlers/echo.ts', description: 'echo', timeoutSeconds: 9 },
      ],
    });

    const one = await host.handle({
      method: 'GET',
      url: '/2015-03-31/functions/echo',
      headers: {},
      body: Buffer.alloc(0),
      region: 'us-east-1',
    });
    const all = await host.handle({
      method: 'GET',
      url: '/2015-03-31/functions/',
      headers: {},
      body: Buffer.alloc(0),
      region: 'us-east-1',
    });

    expect(bodyOf(one)).toMatchObject({
      Configuration: {
        FunctionName: 'echo',
        FunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:echo',
        Timeout: 9,
        Handler: 'test/fixtures/handlers/echo.handler',
      },
    });
    expect(bodyOf(all)).toMatchObject({ Functions: [{ FunctionName: 'echo' }] });
  });

  it('rejects an unknown invocation type and a client context that is not base64 JSON', async () => {
    const host = createLambdaHost({ functions: { echo: async (event) => event } });

    const badType = await host.handle(invokeRequest('echo', '{}', { 'x-amz-invocation-type': 'Later' }));
    const badContext = await host.handle(
      invokeRequest('echo', '{}', { 'x-amz-client-context': 'bm90IGpzb24=' }),
    );

    expect(badType.status).toBe(400);
    expect(bodyOf(badType)).toMatchObject({
      message: expect.stringContaining("Value 'Later' at 'invocationType'"),
    });
    expect(badContext.status).toBe(400);
    expect(badContext.headers?.['x-amzn-errortype']).toBe('InvalidRequestContentException');
    expect(bodyOf(badContext)).toMatchObject({
      message: expect.stringMatching(/^X-Amz-Client-Context is not base64-encoded JSON/),
    });
  });

  it('refuses a function name Lambda would not accept, at construction', () => {
    expect(() => createLambdaHost({ functions: { 'bad name': async () => null } })).toThrow(
      "Local function name 'bad name' is not a Lambda function name",
    );
  });

  it('refuses a failure rate outside 0..1 at construction', () => {
    expect(() => createLambdaHost({ failureRate: 2 })).toThrow('failureRate must be between 0 and 1, got 2');
  });
});
