/**
 * Large execution values in memory, under the same keys S3 would hold them: lets unit tests and the
 * in-process benchmark run the reference mechanism (and see what went out of the item) without S3.
 */
import { StoreUnavailableError } from '../errors.ts';
import {
  contentAddress,
  type PayloadClass,
  type PayloadRef,
  type PayloadStore,
  parsePayloadUri,
  payloadPrefix,
} from './payloads.ts';

/** `PayloadStore` held in a map keyed by object key. */
export class MemoryPayloadStore implements PayloadStore {
  /** Object key -> value. */
  readonly objects = new Map<string, string>();
  /** PUTs and GETs S3 would have served. */
  puts = 0;
  gets = 0;

  constructor(private readonly bucket = 'memory') {}

  async put(text: string, kind: PayloadClass): Promise<PayloadRef> {
    this.puts += 1;
    const { sha256, body } = contentAddress(text);
    const key = `${payloadPrefix(kind)}${sha256}`;
    this.objects.set(key, text);
    return { uri: `s3://${this.bucket}/${key}`, bytes: body.length };
  }

  async get(ref: PayloadRef, what: string): Promise<string> {
    this.gets += 1;
    const location = parsePayloadUri(ref.uri);
    const text = location?.bucket === this.bucket ? this.objects.get(location.key) : undefined;
    if (text === undefined) {
      throw new StoreUnavailableError(`${what}: reading ${ref.uri} failed: the object is gone`, {
        retryable: false,
      });
    }
    return text;
  }
}
