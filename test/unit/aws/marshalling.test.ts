import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { dynamoDbDocumentClient, MARSHALL_OPTIONS } from '../../../router/aws/index.ts';

const aws = {
  region: 'us-east-1',
  endpoint: 'http://127.0.0.1:9',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
};

describe('MARSHALL_OPTIONS', () => {
  it('stays as it is after the document client prepares a command, so items marshalled with it are plain maps', () => {
    // Arrange: the document client writes its defaults into its options when a command is resolved.
    const client = dynamoDbDocumentClient(aws);
    const command = new PutCommand({ TableName: 't', Item: { pk: 'a', gone: undefined } });

    // Act
    command.resolveMiddleware(client.middlewareStack, client.config, undefined);
    const item = marshall({ pk: 'a', n: 1, gone: undefined }, MARSHALL_OPTIONS);

    // Assert
    expect(MARSHALL_OPTIONS).toEqual({ removeUndefinedValues: true, convertClassInstanceToMap: false });
    expect(item).toEqual({ pk: { S: 'a' }, n: { N: '1' } });
  });
});
