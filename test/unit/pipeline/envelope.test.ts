import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../../router/asl/types.ts';
import { cloudEventKey, EnvelopeError, isRfc3339, toEnvelope } from '../../../router/pipeline/envelope.ts';

const base: JsonObject = { specversion: '1.0', id: 'e1', source: 'shop', type: 'order.created' };

describe('toEnvelope', () => {
  it('accepts a minimal CloudEvent and keys it by source and id', () => {
    expect(toEnvelope(base, 'shard#1')).toEqual({ kind: 'cloudevent', event: base, dedupKey: 'shop#e1' });
  });

  it('gives two events whose source and id only meet at a # two different keys', () => {
    const one = toEnvelope({ ...base, source: 'qa/e2e', id: 'R#x' }, 'shard#1');
    const two = toEnvelope({ ...base, source: 'qa/e2e#R', id: 'x' }, 'shard#2');
    expect(one.dedupKey).not.toBe(two.dedupKey);
    expect([one.dedupKey, two.dedupKey]).toEqual(['qa/e2e#R\\#x', 'qa/e2e\\#R#x']);
  });

  it('keys distinct (source, id) pairs apart, and keeps the old key where no # or backslash occurs', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), fc.string(), (s1, i1, s2, i2) => {
        if (s1 === s2 && i1 === i2) return;
        expect(cloudEventKey(s1, i1)).not.toBe(cloudEventKey(s2, i2));
      }),
    );
    fc.assert(
      fc.property(
        fc.string().filter((s) => !/[#\\]/.test(s)),
        fc.string().filter((s) => !/[#\\]/.test(s)),
        (source, id) => {
          expect(cloudEventKey(source, id)).toBe(`${source}#${id}`);
        },
      ),
    );
  });

  it('accepts every optional attribute and extensions', () => {
    const event = {
      ...base,
      subject: 'order/1',
      time: '2026-03-04T05:06:07.123+02:00',
      datacontenttype: 'application/json',
      dataschema: 'https://example.com/s',
      data: { amount: 3 },
      engine: 'orders',
      traceparent: '00-abc',
    };

    expect(toEnvelope(event, 'p').kind).toBe('cloudevent');
  });

  it('treats an object without specversion as raw, keyed by position', () => {
    expect(toEnvelope({ id: 'x' }, 'shard#9')).toEqual({
      kind: 'raw',
      body: { id: 'x' },
      dedupKey: 'shard#9',
    });
  });

  it.each([
    [{ ...base, specversion: '0.3' }, "'specversion' must be '1.0'"],
    [{ ...base, id: '' }, "'id' must be a non-empty string"],
    [{ ...base, source: 3 }, "'source' must be a non-empty string"],
    [{ specversion: '1.0', id: 'a', source: 's' }, "'type' must be a non-empty string"],
    [{ ...base, subject: 1 }, "'subject' must be a non-empty string"],
    [{ ...base, time: 'yesterday' }, "'time' must be an RFC 3339 timestamp"],
    [{ ...base, time: '2026-13-45T00:00:00Z' }, "'time' must be an RFC 3339 timestamp"],
    [{ ...base, engine: '' }, "'engine' must be a non-empty string"],
    [{ ...base, data: {}, data_base64: 'AA==' }, "both 'data' and 'data_base64'"],
    [{ ...base, data_base64: 'not*base64' }, "'data_base64' must be a base64 string"],
    [{ ...base, Engine: 'x' }, "attribute name 'Engine' is invalid"],
    [{ ...base, 'trace-id': 'x' }, "attribute name 'trace-id' is invalid"],
  ] as [JsonObject, string][])('rejects %j', (event, message) => {
    expect(() => toEnvelope(event, 'p')).toThrow(EnvelopeError);
    expect(() => toEnvelope(event, 'p')).toThrow(message);
  });

  it('recognises a task success callback', () => {
    const event = { ...base, type: 'router.task.success', data: { taskToken: 'tok', output: { ok: true } } };

    expect(toEnvelope(event, 'p')).toMatchObject({
      kind: 'callback',
      dedupKey: 'shop#e1',
      callback: { action: 'success', taskToken: 'tok', output: { ok: true } },
    });
  });

  it('recognises task failure and heartbeat callbacks', () => {
    const failure = {
      ...base,
      type: 'router.task.failure',
      data: { taskToken: 't', error: 'Boom', cause: 'c' },
    };
    const heartbeat = { ...base, type: 'router.task.heartbeat', data: { taskToken: 't' } };

    expect(toEnvelope(failure, 'p')).toMatchObject({
      kind: 'callback',
      callback: { action: 'failure', taskToken: 't', error: 'Boom', cause: 'c' },
    });
    expect(toEnvelope(heartbeat, 'p')).toMatchObject({ kind: 'callback', callback: { action: 'heartbeat' } });
  });

  it.each([
    [{ ...base, type: 'router.task.success' }, "data must be an object with a 'taskToken'"],
    [{ ...base, type: 'router.task.success', data: { output: 1 } }, "'taskToken' must be a non-empty string"],
    [
      { ...base, type: 'router.task.failure', data: { taskToken: 't', error: 5 } },
      "'error' must be a string",
    ],
  ] as [JsonObject, string][])('rejects a malformed callback %j', (event, message) => {
    expect(() => toEnvelope(event, 'p')).toThrow(message);
  });
});

describe('isRfc3339', () => {
  it.each([
    ['2026-01-01T00:00:00Z', true],
    ['2026-01-01t00:00:00.5z', true],
    ['2026-01-01T00:00:00-07:30', true],
    ['2026-01-01 00:00:00Z', false],
    ['2026-01-01T00:00:00', false],
  ])('%s -> %s', (value, expected) => {
    expect(isRfc3339(value)).toBe(expected);
  });
});
