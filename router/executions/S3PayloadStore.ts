/**
 * Large execution values in S3 (see `payloads.ts`): one object per distinct value, keyed by the sha256
 * of its bytes under `payloads/live/` or `payloads/done/` in the engines bucket. A PUT of the same bytes
 * writes the same key, so a retried or repeated write is harmless and renews the object's age (which is
 * what the lifecycle rule on each prefix counts from); nothing is read before writing.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { isRetryableAwsError, StoreUnavailableError } from '../errors.ts';
import {
  addressOf,
  contentAddress,
  type PayloadClass,
  type PayloadRef,
  type PayloadStore,
  parsePayloadUri,
  payloadPrefix,
} from './payloads.ts';

/** Where the values go. */
export interface S3PayloadStoreOptions {
  /** Built once at cold start (`router/aws/clients.ts` `s3Client`, which applies the emulator quirks). */
  readonly s3: S3Client;
  /** The engines bucket (`router/config.ts` `bucket`). */
  readonly bucket: string;
}

/** `PayloadStore` over an S3 bucket. */
export class S3PayloadStore implements PayloadStore {
  readonly #options: S3PayloadStoreOptions;

  constructor(options: S3PayloadStoreOptions) {
    this.#options = options;
  }

  async put(text: string, kind: PayloadClass): Promise<PayloadRef> {
    const { s3, bucket } = this.#options;
    const { sha256, body } = contentAddress(text);
    const key = `${payloadPrefix(kind)}${sha256}`;
    const uri = `s3://${bucket}/${key}`;
    await this.#call(`writing ${uri}`, () =>
      s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentLength: body.length,
          ContentType: 'text/plain; charset=utf-8',
        }),
      ),
    );
    return { uri, bytes: body.length };
  }

  async get(ref: PayloadRef, what: string): Promise<string> {
    const location = parsePayloadUri(ref.uri);
    if (location === undefined) {
      throw new StoreUnavailableError(`${what}: '${ref.uri}' is not an s3:// reference`, {
        retryable: false,
      });
    }
    const object = await this.#call(`${what}: reading ${ref.uri}`, () =>
      this.#options.s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key })),
    );
    const bytes = await this.#call(`${what}: reading ${ref.uri}`, async () =>
      Buffer.from((await object.Body?.transformToByteArray()) ?? []),
    );
    const text = bytes.toString('utf8');
    if (contentAddress(text).sha256 !== addressOf(location.key)) {
      throw new StoreUnavailableError(
        `${what}: ${ref.uri} holds ${bytes.length} bytes that do not hash to its address`,
        { retryable: false },
      );
    }
    return text;
  }

  /** Transient failures become retryable store errors; a missing object cannot heal, so it is final. */
  async #call<T>(what: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      const name = error instanceof Error ? error.name : '';
      const detail = name === 'NoSuchKey' ? 'the object is gone (expired or deleted)' : describe(error);
      throw new StoreUnavailableError(`${what} failed: ${detail}`, {
        cause: error,
        retryable: name !== 'NoSuchKey' && isRetryableAwsError(error),
      });
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
