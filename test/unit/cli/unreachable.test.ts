import { describe, expect, it } from 'vitest';
import { unreachableAdvice, unreachableDetail, unreachableHint } from '../../../router/cli/unreachable.ts';
import { StoreUnavailableError } from '../../../router/errors.ts';
import { runRouterCli } from '../../support/cli.ts';

/** The error Node gives for a refused connection, as the SDK passes it on. */
function refused(port: number): Error {
  return Object.assign(new Error(`connect ECONNREFUSED 127.0.0.1:${port}`), { code: 'ECONNREFUSED' });
}

describe('unreachableDetail', () => {
  it('finds a socket error through the causes a store wraps it in, keeping the context that names it', () => {
    // Prepare
    const named = new StoreUnavailableError(
      'quarantine: listing the index failed: Error: connect ECONNREFUSED 127.0.0.1:4566',
      { cause: refused(4566), retryable: true },
    );
    const unnamed = new StoreUnavailableError('executions table: read failed', {
      cause: new Error('socket', { cause: refused(4566) }),
      retryable: true,
    });

    // Act / Assess
    expect(unreachableDetail(named)).toBe(
      'quarantine: listing the index failed: Error: connect ECONNREFUSED 127.0.0.1:4566',
    );
    expect(unreachableDetail(unnamed)).toBe('connect ECONNREFUSED 127.0.0.1:4566');
  });

  it('reads the errors of an AggregateError (both addresses of localhost refused)', () => {
    // Prepare
    const both = Object.assign(new AggregateError([refused(4566), refused(4566)], ''), {
      code: 'ECONNREFUSED',
    });
    const uncoded = new AggregateError([new Error('first'), refused(4567)], '');

    // Act / Assess
    expect(unreachableDetail(both)).toBe('ECONNREFUSED');
    expect(unreachableDetail(uncoded)).toBe('connect ECONNREFUSED 127.0.0.1:4567');
  });

  it('leaves every other error alone', () => {
    // Act / Assess
    expect(unreachableDetail(new Error('ResourceNotFoundException: table router-engines'))).toBeUndefined();
    expect(unreachableDetail('ECONNREFUSED as a plain string')).toBeUndefined();
  });
});

describe('unreachableAdvice', () => {
  it('sends a local endpoint to npm run localstack:up', () => {
    // Act
    const advice = unreachableAdvice({ AWS_ENDPOINT_URL: 'http://localhost:4566' });

    // Assess
    expect(advice.target).toBe('AWS_ENDPOINT_URL=http://localhost:4566');
    expect(advice.advice).toContain('`npm run localstack:up`');
  });

  it('names a remote endpoint and how to go back to AWS', () => {
    // Act
    const advice = unreachableAdvice({ AWS_ENDPOINT_URL: 'https://localstack.example.com' });

    // Assess
    expect(advice).toEqual({
      target: 'AWS_ENDPOINT_URL=https://localstack.example.com',
      advice: 'check that this endpoint is up and reachable, or unset AWS_ENDPOINT_URL to use AWS',
    });
  });

  it('names the region and where it came from when the commands talk to AWS', () => {
    // Act / Assess
    expect(unreachableAdvice({ AWS_REGION: 'eu-west-1' }).target).toBe(
      'AWS in eu-west-1 (from AWS_REGION; AWS_ENDPOINT_URL is not set)',
    );
    expect(unreachableAdvice({ AWS_DEFAULT_REGION: 'eu-north-1' }).target).toBe(
      'AWS in eu-north-1 (from AWS_DEFAULT_REGION; AWS_ENDPOINT_URL is not set)',
    );
    expect(unreachableAdvice({}).target).toBe(
      'AWS in us-east-1 (AWS_REGION is not set; AWS_ENDPOINT_URL is not set)',
    );
    expect(unreachableAdvice({}).advice).toContain('export AWS_ENDPOINT_URL=http://127.0.0.1:4566');
  });

  it('puts the endpoint, the socket error and the advice on two lines', () => {
    // Act
    const hint = unreachableHint(refused(9), { AWS_ENDPOINT_URL: 'http://127.0.0.1:9' });

    // Assess
    expect(hint?.split('\n')).toEqual([
      'cannot reach AWS_ENDPOINT_URL=http://127.0.0.1:9: connect ECONNREFUSED 127.0.0.1:9',
      '  is the local stack running? Start it with `npm run localstack:up` (it serves http://127.0.0.1:4566), or point AWS_ENDPOINT_URL at the one that runs',
    ]);
  });
});

describe('a command with the stack down', () => {
  it('says which endpoint did not answer and how to start the local stack', async () => {
    // Act: port 9 on loopback refuses at once
    const result = await runRouterCli(['executions', 'list'], {
      env: { AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_REGION: 'us-east-1' },
    });

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /^router executions list: cannot reach AWS_ENDPOINT_URL=http:\/\/127\.0\.0\.1:9: .*ECONNREFUSED 127\.0\.0\.1:9\n {2}is the local stack running\? Start it with `npm run localstack:up`/,
    );
  });
});
