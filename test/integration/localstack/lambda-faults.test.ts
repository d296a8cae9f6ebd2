import { InvokeCommand, ServiceException } from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import { createLambdaHost } from '../../../localstack/lambda/index.ts';
import { lambdaClient } from '../../../router/aws/clients.ts';
import { useLocalStack } from '../support/stack.ts';

// Each Invoke draws twice when it fails (fail?, then 429 or 500) and once when it passes.
const draws: number[] = [];
let calls = 0;
const host = createLambdaHost({
  failureRate: 0.5,
  random: () => draws.shift() ?? 0.99,
  functions: {
    count: async () => {
      calls += 1;
      return calls;
    },
  },
});
const stack = useLocalStack({ services: [host] });

describe('Lambda host fault injection', () => {
  it('injects a 429 and a 500 that the SDK retries before the call succeeds once', async () => {
    // Prepare
    draws.push(0.1, 0.1, 0.1, 0.9, 0.99);
    const lambda = lambdaClient(stack().aws);

    // Act
    const output = await lambda.send(new InvokeCommand({ FunctionName: 'count' }));

    // Assess
    expect(output.StatusCode).toBe(200);
    expect(output.$metadata.attempts).toBe(3);
    expect(calls).toBe(1);
  });

  it('surfaces ServiceException once the retries are used up, without running the handler', async () => {
    draws.push(0.1, 0.9, 0.1, 0.9, 0.1, 0.9);
    const lambda = lambdaClient(stack().aws);
    const before = calls;

    const error = await lambda
      .send(new InvokeCommand({ FunctionName: 'count' }))
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ServiceException);
    expect((error as ServiceException).message).toBe(
      'Lambda was unable to process the request (injected fault)',
    );
    expect(calls).toBe(before);
  });
});
