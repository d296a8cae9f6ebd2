import { describe, expect, it } from 'vitest';
import {
  awsError,
  errorFormatFor,
  identifyService,
  parseCredentialScope,
  rewriteAuthorizationKey,
  rewritePresignedKey,
} from '../../../localstack/edge.ts';

const authorization = (scope: string): string =>
  `AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=host;x-amz-date, Signature=abc123`;

describe('parseCredentialScope', () => {
  it('splits a SigV4 scope into its parts', () => {
    expect(parseCredentialScope('AKID/20260101/eu-west-1/kinesis/aws4_request')).toEqual({
      accessKeyId: 'AKID',
      date: '20260101',
      region: 'eu-west-1',
      service: 'kinesis',
    });
  });

  it.each([
    'AKID/20260101/eu-west-1/kinesis',
    'AKID/20260101/eu-west-1/kinesis/aws3_request',
    'AKID//eu-west-1/kinesis/aws4_request',
    'garbage',
  ])('rejects %s', (scope) => {
    expect(parseCredentialScope(scope)).toBeUndefined();
  });
});

describe('identifyService', () => {
  it('routes by the signing name in the Authorization header, before any other hint', () => {
    // Act
    const identity = identifyService('/2015-03-31/functions/x/invocations', {
      authorization: authorization('AKID/20260101/us-west-2/redshift-data/aws4_request'),
      'x-amz-target': 'Kinesis_20131202.PutRecords',
    });

    // Assess
    expect(identity).toEqual({ service: 'redshift-data', region: 'us-west-2', via: 'authorization' });
  });

  it('routes presigned URLs by X-Amz-Credential', () => {
    // Act
    const identity = identifyService(
      '/bucket/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=00',
      {},
    );

    // Assess
    expect(identity).toEqual({ service: 's3', region: 'us-east-1', via: 'presigned-url' });
  });

  it.each([
    ['Kinesis_20131202.GetRecords', 'kinesis'],
    ['DynamoDB_20120810.Query', 'dynamodb'],
    ['RedshiftData.ExecuteStatement', 'redshift-data'],
  ])('falls back to the X-Amz-Target %s', (target, service) => {
    expect(identifyService('/', { 'x-amz-target': target })).toEqual({
      service,
      region: 'us-east-1',
      via: 'target',
    });
  });

  it('falls back to the Lambda Invoke path', () => {
    expect(identifyService('/2015-03-31/functions/echo/invocations', {})).toMatchObject({
      service: 'lambda',
      via: 'path',
    });
  });

  it('says why a malformed Authorization header could not be read', () => {
    // Act
    const sigv4 = identifyService('/', { authorization: 'AWS4-HMAC-SHA256 Credential=nope' });
    const sigv2 = identifyService('/', { authorization: 'AWS AKID:signature' });

    // Assess
    expect(sigv4).toEqual({
      region: 'us-east-1',
      via: 'none',
      problem: 'the Authorization header has no Credential=AKID/DATE/REGION/SERVICE/aws4_request scope',
    });
    expect(sigv2.problem).toBe("the Authorization header uses 'AWS', the edge reads only AWS4-HMAC-SHA256");
  });

  it('finds nothing in an unsigned request without a target or a Lambda path', () => {
    expect(identifyService('/bucket/key', {})).toEqual({ region: 'us-east-1', via: 'none' });
  });
});

describe('access key rewriting for s3rver', () => {
  it('replaces only the access key of the Authorization credential', () => {
    expect(rewriteAuthorizationKey(authorization('test/20260101/us-east-1/s3/aws4_request'), 'S3RVER')).toBe(
      authorization('S3RVER/20260101/us-east-1/s3/aws4_request'),
    );
  });

  it('replaces only the access key of a presigned URL and keeps the other parameters as sent', () => {
    // Act
    const url = rewritePresignedKey(
      '/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=test%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&x-id=GetObject',
      'S3RVER',
    );

    // Assess
    expect(url).toBe(
      '/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=S3RVER%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&x-id=GetObject',
    );
    expect(rewritePresignedKey('/b/k', 'S3RVER')).toBe('/b/k');
    expect(rewritePresignedKey('/b/k?X-Amz-Credential=%E0%A4%A', 'S3RVER')).toBe(
      '/b/k?X-Amz-Credential=%E0%A4%A',
    );
  });
});

describe('AWS-shaped errors', () => {
  it('speaks JSON to JSON protocols, with the code in __type and x-amzn-errortype', () => {
    // Act
    const error = awsError(errorFormatFor('kinesis', {}), 400, 'UnknownServiceException', 'no such service');

    // Assess
    expect(error.status).toBe(400);
    expect(error.headers?.['x-amzn-errortype']).toBe('UnknownServiceException');
    expect(JSON.parse(String(error.body))).toEqual({
      __type: 'UnknownServiceException',
      message: 'no such service',
    });
  });

  it('speaks S3 XML to S3 and query XML to form-encoded requests, escaping the message', () => {
    // Act
    const s3 = awsError(errorFormatFor('s3', {}), 400, 'InvalidRequest', 'a < b & "c"');
    const query = awsError(
      errorFormatFor('sns', { 'content-type': 'application/x-www-form-urlencoded' }),
      400,
      'UnknownServiceException',
      'nope',
    );

    // Assess
    expect(String(s3.body)).toContain(
      '<Error><Code>InvalidRequest</Code><Message>a &#60; b &#38; &#34;c&#34;</Message>',
    );
    expect(String(query.body)).toContain(
      '<ErrorResponse><Error><Type>Sender</Type><Code>UnknownServiceException</Code><Message>nope</Message></Error>',
    );
  });
});
