import { KinesisClient } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { parseLine } from '../../../router/cli/commands/put.ts';
import { toEnvelope } from '../../../router/pipeline/envelope.ts';
import { Producer, type PutRecordsClient, toCloudEvent } from '../../../router/producer/Producer.ts';

describe('toCloudEvent', () => {
  it('fills specversion, a UUID id and the time, keeping what the caller gave', () => {
    const event = toCloudEvent(
      { type: 'order.created', source: 'shop', data: { n: 1 } },
      () => new Date('2026-01-02T03:04:05Z'),
    );

    expect(event).toMatchObject({
      specversion: '1.0',
      time: '2026-01-02T03:04:05.000Z',
      type: 'order.created',
    });
    expect(event.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(toCloudEvent({ type: 't', source: 's', id: 'mine' }).id).toBe('mine');
    expect(toEnvelope(JSON.parse(JSON.stringify(event)), 'p').kind).toBe('cloudevent');
  });
});

describe('Producer', () => {
  it('rejects batch limits beyond what Kinesis accepts', () => {
    const kinesis = new KinesisClient({ region: 'us-east-1' });

    expect(() => new Producer({ kinesis, streamName: 's', maxBatchRecords: 501 })).toThrow(
      'maxBatchRecords must be 1..500',
    );
    expect(() => new Producer({ kinesis, streamName: 's', maxBatchBytes: 6 * 1024 * 1024 })).toThrow(
      'maxBatchBytes must be 1..5242880',
    );
  });

  it('fails events it cannot send before any request is made', async () => {
    // Prepare: the client is never called, because both events are invalid for Kinesis.
    let calls = 0;
    const real = new KinesisClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9' });
    const kinesis: PutRecordsClient = {
      send: ((command: Parameters<KinesisClient['send']>[0]) => {
        calls++;
        return real.send(command);
      }) as PutRecordsClient['send'],
    };
    const producer = new Producer({ kinesis, streamName: 's' });

    // Act
    const summary = await producer.put([
      { partitionKey: 'k'.repeat(257), data: {} },
      { partitionKey: 'k', data: Buffer.alloc(1024 * 1024) },
    ]);

    // Assess
    expect(calls).toBe(0);
    expect(summary).toMatchObject({
      read: 2,
      records: 0,
      batches: 0,
      failed: 2,
      errorCodes: { InvalidPartitionKey: 1, RecordTooLarge: 1 },
    });
    expect(summary.failures[1]?.errorMessage).toContain('event 1: 1048577 bytes with its partition key');
  });
});

describe('router put line parsing', () => {
  it('takes the partition key from the path, else subject, else id', () => {
    const path = { parts: ['order', 'id'], text: '$.order.id' };

    expect(parseLine('{"order":{"id":"o-1"},"subject":"s"}', path)).toMatchObject({ partitionKey: 'o-1' });
    expect(parseLine('{"subject":"s","id":"i"}')).toMatchObject({ partitionKey: 's' });
    expect(parseLine('{"id":12}')).toMatchObject({ partitionKey: '12' });
  });

  it.each([
    ['{"a":', 'not JSON'],
    ['"text"', 'not a JSON object'],
    ['{"specversion":"1.0","id":"x","source":"s"}', "invalid CloudEvent: CloudEvent attribute 'type'"],
    ['{"name":"x"}', "no partition key: the object has no 'subject' or 'id'"],
  ])('explains why %s cannot be put', (line, message) => {
    const result = parseLine(line);

    expect(result).toBeInstanceOf(Error);
    expect((result as Error).message).toContain(message);
  });

  it('names the path when it finds no key there', () => {
    const result = parseLine('{"id":"x"}', { parts: ['order', 'id'], text: '$.order.id' });

    expect((result as Error).message).toBe('no string or number at --partition-key-path $.order.id');
  });
});
