/**
 * Where published graph sources live. Objects are written once per version and never overwritten; the
 * reader checks the sha256 recorded in the index, so a damaged or replaced object is refused.
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/** Stores and fetches graph sources by key. */
export interface GraphStore {
  put(key: string, body: string): Promise<void>;
  /** The object's bytes, or undefined if there is no such object. */
  get(key: string): Promise<Buffer | undefined>;
}

/** Hex sha256, as recorded in the engine index. */
export function sha256Hex(body: string | Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

/** `GraphStore` in the engines bucket. */
export class S3GraphStore implements GraphStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async put(key: string, body: string): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: 'application/hjson; charset=utf-8',
        Metadata: { sha256: sha256Hex(body), 'graph-format': 'asl-hjson' },
      }),
    );
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      const result = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (result.Body === undefined) return undefined;
      return Buffer.from(await result.Body.transformToByteArray());
    } catch (error) {
      if (error instanceof NoSuchKey) return undefined;
      throw error;
    }
  }
}

/** `GraphStore` in memory, for unit tests and in-process benchmarks. */
export class MemoryGraphStore implements GraphStore {
  readonly objects = new Map<string, Buffer>();

  async put(key: string, body: string): Promise<void> {
    this.objects.set(key, Buffer.from(body, 'utf8'));
  }

  async get(key: string): Promise<Buffer | undefined> {
    return this.objects.get(key);
  }
}
