import { describe, expect, it } from 'vitest';
import {
  EventSourceMappingConfigError,
  streamNameOf,
  validateSettings,
} from '../../../localstack/esm/EventSourceMapping.ts';
import type { EventSourceMappingOptions } from '../../../localstack/esm/types.ts';

const base: EventSourceMappingOptions = { stream: 'router-events', handler: async () => undefined };

describe('validateSettings', () => {
  it("applies Lambda's defaults", () => {
    expect(validateSettings(base)).toEqual({
      batchSize: 100,
      batchingWindowMs: 0,
      maximumRetryAttempts: -1,
      maximumRecordAgeInSeconds: -1,
      pollIntervalMs: 1_000,
    });
  });

  it('accepts the bounds', () => {
    const settings = validateSettings({
      ...base,
      batchSize: 10_000,
      maximumBatchingWindowInSeconds: 300,
      maximumRetryAttempts: 10_000,
      maximumRecordAgeInSeconds: 604_800,
    });
    expect(settings).toMatchObject({
      batchSize: 10_000,
      batchingWindowMs: 300_000,
      maximumRetryAttempts: 10_000,
    });
  });

  it.each([
    [{ batchSize: 0 }, 'batchSize must be an integer from 1 to 10000, got 0'],
    [{ batchSize: 10_001 }, 'batchSize must be an integer from 1 to 10000, got 10001'],
    [{ batchSize: 2.5 }, 'batchSize must be an integer'],
    [{ maximumRetryAttempts: -2 }, 'maximumRetryAttempts must be an integer from -1 to 10000, got -2'],
    [{ maximumRecordAgeInSeconds: 0 }, 'maximumRecordAgeInSeconds must be -1 or a number of seconds'],
    [
      { maximumBatchingWindowInSeconds: 301 },
      'maximumBatchingWindowInSeconds must be from 0 to 300, got 301',
    ],
    [{ pollIntervalMs: 0 }, 'pollIntervalMs must be positive, got 0'],
    [{ stream: ' ' }, 'stream is empty'],
  ])('rejects %o naming the option', (override, message) => {
    const options = { ...base, ...override } as EventSourceMappingOptions;
    expect(() => validateSettings(options)).toThrow(EventSourceMappingConfigError);
    expect(() => validateSettings(options)).toThrow(message);
  });
});

describe('streamNameOf', () => {
  it('takes a name as is and the name out of a stream ARN', () => {
    expect(streamNameOf('router-events')).toBe('router-events');
    expect(streamNameOf('arn:aws:kinesis:eu-west-1:123456789012:stream/router-events')).toBe('router-events');
  });

  it('rejects an ARN of something else', () => {
    expect(() => streamNameOf('arn:aws:sqs:eu-west-1:123456789012:queue')).toThrow(
      'stream ARN arn:aws:sqs:eu-west-1:123456789012:queue is not a Kinesis stream ARN',
    );
  });
});
