/**
 * An S3 on-failure destination for a stream event source mapping that grants only what Lambda needs to
 * write there (`s3:PutObject`, `s3:ListBucket`, and the bucket key). aws-cdk-lib's
 * `S3OnFailureDestination` grants read-write on the whole bucket, which would let the router read and
 * delete the failure records it is meant to leave for operators.
 */
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type {
  DlqDestinationConfig,
  IEventSourceDlq,
  IEventSourceMapping,
  IFunction,
} from 'aws-cdk-lib/aws-lambda';
import type { IBucket } from 'aws-cdk-lib/aws-s3';

/** Sends records of discarded batches (metadata plus the batch) to a bucket Lambda writes keys into. */
export class S3PutOnFailureDestination implements IEventSourceDlq {
  constructor(private readonly bucket: IBucket) {}

  /** Grants the function's role write-only access and returns the destination ARN for the mapping. */
  bind(_target: IEventSourceMapping, targetHandler: IFunction): DlqDestinationConfig {
    targetHandler.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects('*')],
      }),
    );
    targetHandler.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
      }),
    );
    this.bucket.encryptionKey?.grant(targetHandler, 'kms:GenerateDataKey', 'kms:Encrypt');
    return { destination: this.bucket.bucketArn };
  }
}
