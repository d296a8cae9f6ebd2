import { describe, expect, it } from 'vitest';
import { SqsQueues } from '../../../../localstack/sqs/SqsQueues.ts';

/** A queue store on a clock the test moves. */
function store(): { queues: SqsQueues; advance: (ms: number) => void } {
  let now = 1_700_000_000_000;
  return { queues: new SqsQueues('us-east-1', () => now), advance: (ms) => (now += ms) };
}

describe('SqsQueues on a simulated clock', () => {
  it('hides a received message until its visibility timeout ends, then counts the receive again', async () => {
    // Prepare
    const { queues, advance } = store();
    queues.create('q', { VisibilityTimeout: '30' }, {});
    queues.send('q', { body: 'm' });

    // Act
    const first = await queues.receive('q', { attributeNames: ['ApproximateReceiveCount'] });
    advance(29_999);
    const early = await queues.receive('q', {});
    advance(1);
    const again = await queues.receive('q', { attributeNames: ['ApproximateReceiveCount'] });

    // Assess
    expect(first.map((m) => m.Attributes?.ApproximateReceiveCount)).toEqual(['1']);
    expect(early).toEqual([]);
    expect(again.map((m) => m.Attributes?.ApproximateReceiveCount)).toEqual(['2']);
  });

  it('reports visible, in-flight and delayed counts', async () => {
    // Prepare
    const { queues } = store();
    queues.create('q', {}, {});
    queues.send('q', { body: 'visible' });
    queues.send('q', { body: 'taken' });
    queues.send('q', { body: 'later', delaySeconds: 60 });
    await queues.receive('q', {});

    // Act
    const counts = queues.attributes('q', ['All']);

    // Assess
    expect(counts).toMatchObject({
      ApproximateNumberOfMessages: '1',
      ApproximateNumberOfMessagesNotVisible: '1',
      ApproximateNumberOfMessagesDelayed: '1',
      QueueArn: 'arn:aws:sqs:us-east-1:000000000000:q',
      VisibilityTimeout: '30',
    });
  });

  it('drops messages past the retention period', async () => {
    // Prepare
    const { queues, advance } = store();
    queues.create('q', { MessageRetentionPeriod: '60' }, {});
    queues.send('q', { body: 'old' });

    // Act
    advance(60_000);
    const received = await queues.receive('q', {});

    // Assess
    expect(received).toEqual([]);
    expect(queues.attributes('q', ['ApproximateNumberOfMessages'])).toEqual({
      ApproximateNumberOfMessages: '0',
    });
  });

  it('forgets a FIFO deduplication id after five minutes', () => {
    // Prepare
    const { queues, advance } = store();
    queues.create('q.fifo', { FifoQueue: 'true' }, {});
    const first = queues.send('q.fifo', { body: 'a', groupId: 'g', dedupId: 'd' });

    // Act
    advance(299_999);
    const within = queues.send('q.fifo', { body: 'a', groupId: 'g', dedupId: 'd' });
    advance(1);
    const after = queues.send('q.fifo', { body: 'a', groupId: 'g', dedupId: 'd' });

    // Assess
    expect(within.MessageId).toBe(first.MessageId);
    expect(after.MessageId).not.toBe(first.MessageId);
    expect(Number(after.SequenceNumber)).toBeGreaterThan(Number(first.SequenceNumber));
  });

  it('refuses a message past the queue size limit, naming the limit', () => {
    // Prepare
    const { queues } = store();
    queues.create('q', { MaximumMessageSize: '1024' }, {});

    // Act
    const attempt = () => queues.send('q', { body: 'x'.repeat(1025) });

    // Assess
    expect(attempt).toThrow('Message must be shorter than 1024 bytes');
  });

  it.each([
    [{ VisibilityTimeout: '43201' }, 'Invalid value for VisibilityTimeout'],
    [{ Colour: 'blue' }, 'Unknown Attribute Colour'],
    [{ ContentBasedDeduplication: 'true' }, 'only FIFO queues'],
    [{ RedrivePolicy: '{"maxReceiveCount":3}' }, 'deadLetterTargetArn must be a queue ARN'],
  ])('refuses the queue attributes %j', (attributes, message) => {
    // Prepare
    const { queues } = store();

    // Act
    const attempt = () => queues.create('q', attributes, {});

    // Assess
    expect(attempt).toThrow(message);
  });

  it('keeps everything a snapshot restores, receipt handles included', async () => {
    // Prepare
    const { queues } = store();
    queues.create('q', {}, {});
    queues.send('q', { body: 'kept', attributes: { k: { DataType: 'String', StringValue: 'v' } } });
    const [received] = await queues.receive('q', { visibilityTimeout: 0 });
    const restored = store().queues;

    // Act
    restored.restore(JSON.parse(JSON.stringify(queues.snapshot())));
    const again = await restored.receive('q', { messageAttributeNames: ['All'] });
    restored.deleteMessage('q', again[0]?.ReceiptHandle ?? '');

    // Assess
    expect(again.map((m) => [m.MessageId, m.Body, m.MessageAttributes])).toEqual([
      [received?.MessageId, 'kept', { k: { DataType: 'String', StringValue: 'v' } }],
    ]);
    expect(restored.attributes('q', ['ApproximateNumberOfMessages'])).toEqual({
      ApproximateNumberOfMessages: '0',
    });
  });

  it('answers a long poll with nothing when the store closes', async () => {
    // Prepare
    const queues = new SqsQueues('us-east-1');
    queues.create('q', {}, {});
    const waiting = queues.receive('q', { waitSeconds: 20 });

    // Act
    queues.close();

    // Assess
    expect(await waiting).toEqual([]);
  });
});
