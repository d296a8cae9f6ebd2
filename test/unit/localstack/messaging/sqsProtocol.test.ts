import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeQuery } from '../../../../localstack/awsQuery.ts';
import { queueDoesNotExist } from '../../../../localstack/sqs/errors.ts';
import { fromQuery, md5OfMessageAttributes, toXml } from '../../../../localstack/sqs/index.ts';

describe('SQS query requests in the JSON shape', () => {
  it('reads message attributes, attribute names and numbers', () => {
    // Act
    const input = fromQuery(
      decodeQuery(
        'Action=ReceiveMessage&QueueUrl=http%3A%2F%2Fh%2F000000000000%2Fq&MaxNumberOfMessages=5' +
          '&AttributeName.1=All&MessageAttributeName.1=kind&MessageAttributeName.2=trace.*',
      ),
    );

    // Assess
    expect(input).toEqual({
      Action: 'ReceiveMessage',
      QueueUrl: 'http://h/000000000000/q',
      MaxNumberOfMessages: 5,
      AttributeNames: ['All'],
      MessageAttributeNames: ['kind', 'trace.*'],
    });
  });

  it('reads batch entries, each with its own attributes', () => {
    // Act
    const input = fromQuery(
      decodeQuery(
        'Action=SendMessageBatch&SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=one' +
          '&SendMessageBatchRequestEntry.1.DelaySeconds=3' +
          '&SendMessageBatchRequestEntry.1.MessageAttribute.1.Name=k' +
          '&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType=String' +
          '&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue=v' +
          '&SendMessageBatchRequestEntry.2.Id=b&SendMessageBatchRequestEntry.2.MessageBody=two',
      ),
    );

    // Assess
    expect(input.Entries).toEqual([
      {
        Id: 'a',
        MessageBody: 'one',
        DelaySeconds: 3,
        MessageAttributes: { k: { DataType: 'String', StringValue: 'v' } },
      },
      { Id: 'b', MessageBody: 'two' },
    ]);
  });

  it('reads CreateQueue attributes and tags into their maps', () => {
    // Act
    const input = fromQuery(
      decodeQuery(
        'Action=CreateQueue&QueueName=q&Attribute.1.Name=VisibilityTimeout&Attribute.1.Value=5&Tag.1.Key=team&Tag.1.Value=core',
      ),
    );

    // Assess
    expect(input).toMatchObject({ Attributes: { VisibilityTimeout: '5' }, tags: { team: 'core' } });
  });
});

describe('SQS JSON answers as query XML', () => {
  it('writes received messages flattened, with attributes as Name/Value pairs', () => {
    // Act
    const body = toXml('ReceiveMessage', {
      Messages: [
        {
          MessageId: 'm-1',
          Body: 'b',
          Attributes: { SentTimestamp: '1' },
          MessageAttributes: { kind: { DataType: 'String', StringValue: 'x' } },
        },
      ],
    });

    // Assess
    expect(body).toBe(
      '<Message><MessageId>m-1</MessageId><Body>b</Body><Attribute><Name>SentTimestamp</Name><Value>1</Value></Attribute>' +
        '<MessageAttribute><Name>kind</Name><Value><DataType>String</DataType><StringValue>x</StringValue></Value></MessageAttribute></Message>',
    );
  });

  it('names batch result entries after the action', () => {
    // Act
    const body = toXml('DeleteMessageBatch', {
      Successful: [{ Id: 'a' }],
      Failed: [{ Id: 'b', SenderFault: true, Code: 'ReceiptHandleIsInvalid', Message: 'bad' }],
    });

    // Assess
    expect(body).toBe(
      '<DeleteMessageBatchResultEntry><Id>a</Id></DeleteMessageBatchResultEntry>' +
        '<BatchResultErrorEntry><Id>b</Id><SenderFault>true</SenderFault><Code>ReceiptHandleIsInvalid</Code><Message>bad</Message></BatchResultErrorEntry>',
    );
  });

  it('writes queue URLs as repeated QueueUrl elements', () => {
    expect(toXml('ListQueues', { QueueUrls: ['u1', 'u2'] })).toBe(
      '<QueueUrl>u1</QueueUrl><QueueUrl>u2</QueueUrl>',
    );
  });
});

describe('md5OfMessageAttributes', () => {
  it('digests attributes by name order with the length-prefixed encoding SQS documents', () => {
    // Act
    const digest = md5OfMessageAttributes({
      kind: { DataType: 'String', StringValue: 'order.placed' },
      amount: { DataType: 'Number', StringValue: '42' },
      raw: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]).toString('base64') },
    });

    // Assess: the digest an independent implementation of the encoding gives for the same attributes
    expect(digest).toBe('1dc24297fe3bdd4f72e8873cfbe1bfce');
    expect(md5OfMessageAttributes({ a: { DataType: 'String', StringValue: 'x' } })).toBe(
      'a512aac9938034acb0b3c3d965944bf1',
    );
  });

  it('prefixes non-ASCII values with their length in bytes, not characters', () => {
    // Prepare
    const u32 = (n: number) => Buffer.from([0, 0, 0, n]);
    const encoded = Buffer.concat([
      u32(1),
      Buffer.from('a'),
      u32(6),
      Buffer.from('String'),
      Buffer.from([1]),
      u32(2),
      Buffer.from('é', 'utf8'),
    ]);

    // Act
    const digest = md5OfMessageAttributes({ a: { DataType: 'String', StringValue: 'é' } });

    // Assess
    expect(digest).toBe(createHash('md5').update(encoded).digest('hex'));
  });

  it('is absent for a message without attributes', () => {
    expect(md5OfMessageAttributes({})).toBeUndefined();
  });
});

describe('SQS errors on the wire', () => {
  it('name the modelled error in __type and the query code in x-amzn-query-error (JSON 1.0)', () => {
    // Act
    const response = queueDoesNotExist('orders').toJsonResponse();

    // Assess
    expect(response.status).toBe(400);
    expect(response.headers).toMatchObject({
      'content-type': 'application/x-amz-json-1.0',
      'x-amzn-query-error': 'AWS.SimpleQueueService.NonExistentQueue;Sender',
    });
    expect(JSON.parse(String(response.body))).toEqual({
      __type: 'com.amazonaws.sqs#QueueDoesNotExist',
      message: 'The specified queue does not exist: orders',
    });
  });

  it('carry the query code in the query protocol ErrorResponse', () => {
    // Act
    const response = queueDoesNotExist('orders').toQueryResponse();

    // Assess
    expect(String(response.body)).toContain(
      '<Error><Type>Sender</Type><Code>AWS.SimpleQueueService.NonExistentQueue</Code><Message>The specified queue does not exist: orders</Message></Error>',
    );
  });
});
