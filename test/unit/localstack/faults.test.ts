import { describe, expect, it } from 'vitest';
import {
  effectiveFaults,
  FaultInjector,
  FaultSpecError,
  faultResponse,
  parseFaultSpec,
} from '../../../localstack/faults.ts';

describe('parseFaultSpec', () => {
  it('reads rates, percentages, latency ranges, the seed and the * service', () => {
    // Act
    const plan = parseFaultSpec(
      ' seed=42, dynamodb:throttle=0.05, dynamodb:5xx=1%, s3:drop-response=0.01,lambda:drop=0 ,*:latency=0-20ms,kinesis:latency=5ms',
    );
    // Assess
    expect(plan).toEqual({
      seed: 42,
      services: {
        dynamodb: { rates: { throttle: 0.05, '5xx': 0.01 } },
        s3: { rates: { 'drop-response': 0.01 } },
        lambda: { rates: { drop: 0 } },
        '*': { rates: {}, latency: { minMs: 0, maxMs: 20 } },
        kinesis: { rates: {}, latency: { minMs: 5, maxMs: 5 } },
      },
    });
  });

  it('gives an empty text an empty plan with the default seed', () => {
    expect(parseFaultSpec('')).toEqual({ seed: 1, services: {} });
    expect(parseFaultSpec(' , ')).toEqual({ seed: 1, services: {} });
  });

  it.each([
    ['dynamodb:throttle', /term 'dynamodb:throttle' has no '='/],
    ['throttle=0.1', /names no service: write SERVICE:KIND=VALUE/],
    ['DynamoDB:throttle=0.1', /names no service/],
    [
      'dynamodb:slow=0.1',
      /unknown fault 'slow'; the faults are throttle, 5xx, drop, drop-response, expired-iterator, latency/,
    ],
    [
      'dynamodb:throttle=1.5',
      /the rate must be a number from 0 to 1 or a percentage \(0.05, 5%\), got '1.5'/,
    ],
    ['dynamodb:throttle=', /got ''/],
    ['dynamodb:throttle=lots', /got 'lots'/],
    ['s3:latency=20', /latency is 'Nms' or 'MIN-MAXms' with MIN <= MAX, got '20'/],
    ['s3:latency=30-20ms', /with MIN <= MAX, got '30-20ms'/],
    ['seed=-1', /the seed is an integer from 0 to 4294967295/],
    ['seed=1,seed=2', /gives the seed twice/],
    ['s3:5xx=0.1,s3:5xx=0.2', /gives s3:5xx twice/],
    ['s3:latency=1ms,s3:latency=2ms', /gives s3:latency twice/],
    [
      's3:throttle=0.6,s3:5xx=0.5',
      /the fault rates of s3 \(with those of its service and \*\) add up to 1.1, more than 1/,
    ],
    ['*:drop=0.5,s3:throttle=0.6', /the fault rates of s3 .* add up to 1.1/],
    ['kinesis:expired-iterator=0.1', /expired-iterator is a fault of kinesis.GetRecords only/],
    ['kinesis.PutRecords:expired-iterator=0.1', /expired-iterator is a fault of kinesis.GetRecords only/],
    ['kinesis.getRecords:throttle=0.1', /names no service/],
    [
      'kinesis:throttle=0.5,kinesis.GetRecords:expired-iterator=0.6',
      /the fault rates of kinesis.GetRecords .* add up to 1.1/,
    ],
  ])('refuses %s, naming the term and the reason', (text, message) => {
    expect(() => parseFaultSpec(text)).toThrow(FaultSpecError);
    expect(() => parseFaultSpec(text)).toThrow(message);
  });
});

describe('effectiveFaults', () => {
  it('takes a service its own terms, and those of * for the kinds it does not name', () => {
    // Prepare
    const plan = parseFaultSpec('*:throttle=0.1,*:latency=1-2ms,s3:throttle=0.3,s3:5xx=0.2');
    // Act / Assess
    expect(effectiveFaults(plan, 's3')).toEqual({
      rates: { throttle: 0.3, '5xx': 0.2 },
      latency: { minMs: 1, maxMs: 2 },
    });
    expect(effectiveFaults(plan, 'lambda')).toEqual({
      rates: { throttle: 0.1 },
      latency: { minMs: 1, maxMs: 2 },
    });
    expect(effectiveFaults(parseFaultSpec('s3:drop=0.1'), 'lambda')).toEqual({ rates: {} });
  });

  it('takes an operation its own terms first, then the terms of its service, then those of *', () => {
    // Prepare
    const plan = parseFaultSpec(
      '*:5xx=0.01,kinesis:throttle=0.1,kinesis.GetRecords:throttle=0.2,kinesis.GetRecords:expired-iterator=0.05',
    );
    // Act / Assess
    expect(effectiveFaults(plan, 'kinesis', 'GetRecords')).toEqual({
      rates: { '5xx': 0.01, throttle: 0.2, 'expired-iterator': 0.05 },
    });
    expect(effectiveFaults(plan, 'kinesis', 'PutRecords')).toEqual({ rates: { '5xx': 0.01, throttle: 0.1 } });
    expect(effectiveFaults(plan, 'kinesis')).toEqual({ rates: { '5xx': 0.01, throttle: 0.1 } });
  });
});

/** The fates of `n` requests to `service`, as kind names (`-` for none). */
function fates(injector: FaultInjector, service: string, n: number): string[] {
  return Array.from({ length: n }, () => injector.decide(service)?.fault ?? '-');
}

describe('FaultInjector', () => {
  it('injects nothing and counts nothing until enabled', () => {
    // Prepare
    const injector = new FaultInjector('dynamodb:throttle=1');
    // Act
    const before = fates(injector, 'dynamodb', 5);
    injector.enable();
    const after = fates(injector, 'dynamodb', 2);
    injector.disable();
    const disabledAgain = fates(injector, 'dynamodb', 2);
    // Assess
    expect(before).toEqual(['-', '-', '-', '-', '-']);
    expect(after).toEqual(['throttle', 'throttle']);
    expect(disabledAgain).toEqual(['-', '-']);
    expect(injector.counts()).toEqual({
      dynamodb: {
        requests: 2,
        throttle: 2,
        '5xx': 0,
        drop: 0,
        'drop-response': 0,
        'expired-iterator': 0,
        latency: 0,
      },
    });
  });

  it('draws the same faults for the same seed, and other faults for another seed', () => {
    // Prepare
    const plan = 'seed=9,s3:throttle=0.2,s3:5xx=0.2,s3:drop=0.2,s3:drop-response=0.2';
    const a = new FaultInjector(plan);
    const b = new FaultInjector(plan);
    const c = new FaultInjector(plan.replace('seed=9', 'seed=10'));
    for (const injector of [a, b, c]) injector.enable();
    // Act
    const first = fates(a, 's3', 50);
    // Interleaving requests to another service does not change the s3 sequence.
    const second = Array.from({ length: 50 }, () => {
      b.decide('lambda');
      return b.decide('s3')?.fault ?? '-';
    });
    const third = fates(c, 's3', 50);
    // Assess
    expect(second).toEqual(first);
    expect(third).not.toEqual(first);
    expect(new Set(first)).toEqual(new Set(['throttle', '5xx', 'drop', 'drop-response', '-']));
  });

  it('injects each kind at about its rate, and counts every one', () => {
    // Prepare
    const injector = new FaultInjector('seed=3,dynamodb:throttle=0.05,dynamodb:5xx=0.02,dynamodb:drop=0.01');
    injector.enable();
    // Act
    fates(injector, 'dynamodb', 20_000);
    // Assess
    const counts = injector.counts().dynamodb;
    expect(counts?.requests).toBe(20_000);
    expect(counts?.throttle).toBeGreaterThan(900);
    expect(counts?.throttle).toBeLessThan(1_100);
    expect(counts?.['5xx']).toBeGreaterThan(320);
    expect(counts?.['5xx']).toBeLessThan(480);
    expect(counts?.drop).toBeGreaterThan(140);
    expect(counts?.drop).toBeLessThan(260);
    expect(counts?.['drop-response']).toBe(0);
    expect(injector.total()).toBe((counts?.throttle ?? 0) + (counts?.['5xx'] ?? 0) + (counts?.drop ?? 0));
    expect(injector.total('drop')).toBe(counts?.drop);
  });

  it('delays by a draw within the latency range, and counts the delayed requests', () => {
    // Prepare
    const injector = new FaultInjector('*:latency=3-7ms');
    injector.enable();
    // Act
    const delays = Array.from({ length: 500 }, () => injector.decide('kinesis')?.delayMs ?? -1);
    // Assess
    expect(Math.min(...delays)).toBe(3);
    expect(Math.max(...delays)).toBe(7);
    expect(injector.counts().kinesis?.latency).toBe(500);
    expect(injector.total()).toBe(0);
  });

  it('counts requests to a service the plan spares, and injects nothing into them', () => {
    // Prepare
    const injector = new FaultInjector('s3:throttle=1');
    injector.enable();
    // Act
    const decision = injector.decide('lambda');
    // Assess
    expect(decision).toBeUndefined();
    expect(injector.counts().lambda?.requests).toBe(1);
  });

  it('replaces its plan at run time, keeping its counters', () => {
    // Prepare
    const injector = new FaultInjector('s3:throttle=1');
    injector.enable();
    injector.decide('s3');
    // Act
    injector.replace('s3:5xx=1');
    const fault = injector.decide('s3')?.fault;
    // Assess
    expect(fault).toBe('5xx');
    expect(injector.counts().s3).toMatchObject({ requests: 2, throttle: 1, '5xx': 1 });
    expect(injector.active).toBe(true);
    injector.replace('');
    expect(injector.active).toBe(false);
  });

  it('refuses a bad plan when built, naming the term', () => {
    expect(() => new FaultInjector('lambda:throttle=2')).toThrow(/term 'lambda:throttle=2'/);
  });
});

function json(body: Buffer | string | undefined): unknown {
  return JSON.parse(String(body));
}

describe('FaultInjector, per operation', () => {
  it('injects the faults of an operation only into that operation, counted apart from its service', () => {
    // Prepare
    const injector = new FaultInjector('kinesis.GetRecords:expired-iterator=1,kinesis.PutRecords:throttle=1');
    injector.enable();
    // Act
    const getRecords = Array.from(
      { length: 3 },
      () => injector.decide('kinesis', 'GetRecords')?.fault ?? '-',
    );
    const putRecords = Array.from(
      { length: 2 },
      () => injector.decide('kinesis', 'PutRecords')?.fault ?? '-',
    );
    const listShards = Array.from(
      { length: 4 },
      () => injector.decide('kinesis', 'ListShards')?.fault ?? '-',
    );
    // Assess
    expect(getRecords).toEqual(['expired-iterator', 'expired-iterator', 'expired-iterator']);
    expect(putRecords).toEqual(['throttle', 'throttle']);
    expect(listShards).toEqual(['-', '-', '-', '-']);
    const counts = injector.counts();
    expect(counts['kinesis.GetRecords']).toMatchObject({ requests: 3, 'expired-iterator': 3 });
    expect(counts['kinesis.PutRecords']).toMatchObject({ requests: 2, throttle: 2 });
    expect(counts.kinesis).toMatchObject({ requests: 4, throttle: 0 });
    expect(injector.total('expired-iterator')).toBe(3);
  });
});

describe('faultResponse', () => {
  it('answers an expired iterator as Kinesis does', () => {
    // Act
    const response = faultResponse('kinesis', 'expired-iterator');
    // Assess
    expect(response.status).toBe(400);
    expect(response.headers).toMatchObject({
      'content-type': 'application/x-amz-json-1.1',
      'x-amzn-errortype': 'ExpiredIteratorException',
    });
    expect(JSON.parse(String(response.body))).toMatchObject({ __type: 'ExpiredIteratorException' });
  });

  it('throttles each service in its own wire form', () => {
    // Act
    const ptee = faultResponse('dynamodb', 'throttle', 0.1);
    const throttling = faultResponse('dynamodb', 'throttle', 0.9);
    const s3 = faultResponse('s3', 'throttle');
    const lambda = faultResponse('lambda', 'throttle');
    const kinesis = faultResponse('kinesis', 'throttle');
    // Assess
    expect(ptee.status).toBe(400);
    expect(ptee.headers?.['content-type']).toBe('application/x-amz-json-1.0');
    expect(json(ptee.body)).toMatchObject({
      __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
    });
    expect(json(throttling.body)).toMatchObject({
      __type: 'com.amazon.coral.availability#ThrottlingException',
    });
    expect(s3.status).toBe(503);
    expect(String(s3.body)).toContain(
      '<Error><Code>SlowDown</Code><Message>Please reduce your request rate.',
    );
    expect(lambda.status).toBe(429);
    expect(lambda.headers?.['x-amzn-errortype']).toBe('TooManyRequestsException');
    expect(json(lambda.body)).toMatchObject({ Type: 'User', Reason: 'CallerRateLimitExceeded' });
    expect(kinesis.status).toBe(400);
    expect(json(kinesis.body)).toMatchObject({ __type: 'ProvisionedThroughputExceededException' });
  });

  it('fails each service with a 500 in its own wire form', () => {
    expect(json(faultResponse('dynamodb', '5xx').body)).toMatchObject({
      __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
    });
    expect(String(faultResponse('s3', '5xx').body)).toContain('<Code>InternalError</Code>');
    expect(faultResponse('lambda', '5xx').headers?.['x-amzn-errortype']).toBe('ServiceException');
    expect(json(faultResponse('kinesis', '5xx').body)).toMatchObject({ __type: 'InternalFailure' });
    for (const service of ['dynamodb', 's3', 'lambda', 'kinesis', 'sqs']) {
      expect(faultResponse(service, '5xx').status).toBe(500);
    }
  });

  it('answers other services in JSON, or in query XML for form-encoded requests', () => {
    expect(json(faultResponse('sqs', 'throttle').body)).toMatchObject({ __type: 'ThrottlingException' });
    expect(String(faultResponse('sns', 'throttle', 0, true).body)).toContain(
      '<ErrorResponse><Error><Type>Receiver</Type><Code>Throttling</Code>',
    );
  });
});
