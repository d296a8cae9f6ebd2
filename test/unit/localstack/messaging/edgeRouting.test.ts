import { describe, expect, it } from 'vitest';
import { identifyService } from '../../../../localstack/edge.ts';

describe('edge routing of the messaging services', () => {
  it.each([
    ['AmazonSQS.SendMessage', 'sqs'],
    ['AWSEvents.PutEvents', 'events'],
  ])('routes an unsigned %s request by its target', (target, service) => {
    expect(identifyService('/', { 'x-amz-target': target })).toMatchObject({ service, via: 'target' });
  });

  it('routes the SNS inbox path to sns without a signature', () => {
    expect(identifyService('/_local/sns/messages?to=a@b.c', {})).toMatchObject({
      service: 'sns',
      via: 'path',
    });
  });

  it('routes signed SNS, SQS and EventBridge requests by their credential scope', () => {
    for (const service of ['sns', 'sqs', 'events']) {
      const identity = identifyService('/', {
        authorization: `AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=0`,
      });
      expect(identity).toMatchObject({ service, via: 'authorization' });
    }
  });
});
