import { describe, expect, it } from 'vitest';
import {
  decodeQuery,
  QuerySyntaxError,
  queryError,
  queryList,
  queryMap,
  queryResponse,
  queryString,
  xml,
} from '../../../../localstack/awsQuery.ts';

describe('decodeQuery', () => {
  it('unflattens dotted keys and 1-based indexes into a tree', () => {
    // Act
    const tree = decodeQuery(
      'Action=Publish&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3At' +
        '&MessageAttributes.entry.2.Name=b&MessageAttributes.entry.2.Value.DataType=Number' +
        '&MessageAttributes.entry.2.Value.StringValue=7' +
        '&MessageAttributes.entry.1.Name=a&MessageAttributes.entry.1.Value.DataType=String' +
        '&MessageAttributes.entry.1.Value.StringValue=x+y',
    );

    // Assess
    expect(queryString(tree, 'Action')).toBe('Publish');
    expect(queryString(tree, 'TopicArn')).toBe('arn:aws:sns:us-east-1:000000000000:t');
    expect(queryMap(tree.MessageAttributes, { wrapper: 'entry', key: 'Name', value: 'Value' })).toEqual({
      a: { DataType: 'String', StringValue: 'x y' },
      b: { DataType: 'Number', StringValue: '7' },
    });
  });

  it('lists members in index order, not in the order the form gave them', () => {
    // Act
    const tree = decodeQuery('Ids.member.10=j&Ids.member.2=b&Ids.member.1=a');

    // Assess
    expect(queryList(tree.Ids, 'member')).toEqual(['a', 'b', 'j']);
  });

  it('refuses a key that is both a value and a structure, naming it', () => {
    // Act
    const attempt = () => decodeQuery('Attributes=1&Attributes.entry.1.key=x');

    // Assess
    expect(attempt).toThrow(QuerySyntaxError);
    expect(attempt).toThrow("'Attributes.entry.1.key' is both a value and a structure");
  });
});

describe('XML answers', () => {
  it('escapes text so a message cannot break the document', () => {
    expect(xml('Message', '<a href="x">&\'</a>')).toBe(
      '<Message>&#60;a href=&#34;x&#34;&#62;&#38;&#39;&#60;/a&#62;</Message>',
    );
  });

  it('wraps a result in ActionResponse / ActionResult with a request id', () => {
    // Act
    const response = queryResponse(
      'http://sns.amazonaws.com/doc/2010-03-31/',
      'Publish',
      xml('MessageId', 'm-1'),
    );

    // Assess
    expect(response.status).toBe(200);
    expect(String(response.body)).toMatch(
      /<PublishResponse xmlns="http:\/\/sns.amazonaws.com\/doc\/2010-03-31\/"><PublishResult><MessageId>m-1<\/MessageId><\/PublishResult><ResponseMetadata><RequestId>[0-9a-f-]{36}<\/RequestId><\/ResponseMetadata><\/PublishResponse>$/,
    );
  });

  it('writes errors as ErrorResponse with the fault side from the status', () => {
    // Act
    const client = queryError('ns', 404, 'NotFound', 'Topic does not exist');
    const server = queryError('ns', 500, 'InternalError', 'boom');

    // Assess
    expect(String(client.body)).toContain(
      '<Error><Type>Sender</Type><Code>NotFound</Code><Message>Topic does not exist</Message></Error>',
    );
    expect(String(server.body)).toContain('<Type>Receiver</Type>');
    expect(client.status).toBe(404);
  });
});
