/**
 * Decodes S3's `aws-chunked` content encoding, so the edge can hand s3rver (which stores bodies verbatim)
 * the object bytes a client meant, whatever its checksum settings. The SDK's default
 * (`requestChecksumCalculation: 'WHEN_SUPPORTED'`) streams bodies framed like this:
 *
 * ```
 * 2000;chunk-signature=ab12...\r\n   <- hex size, optional extensions (signed streaming)
 * <0x2000 bytes>\r\n
 * 0\r\n                               <- final chunk
 * x-amz-checksum-crc32:DUoRhQ==\r\n   <- trailers (checksums, trailer signature), ignored
 * \r\n
 * ```
 */
import { Transform, type TransformCallback } from 'node:stream';

/** Longest chunk-size or trailer line accepted; real ones are under 200 bytes. */
const MAX_LINE = 8_192;

/** A body that does not follow the aws-chunked framing. */
export class AwsChunkedError extends Error {
  override readonly name = 'AwsChunkedError';
}

/** True when the request's Content-Encoding lists aws-chunked. */
export function isAwsChunked(contentEncoding: string | undefined): boolean {
  return (contentEncoding ?? '').split(',').some((coding) => coding.trim().toLowerCase() === 'aws-chunked');
}

/** The Content-Encoding left once aws-chunked is removed; undefined when nothing is left. */
export function withoutAwsChunked(contentEncoding: string | undefined): string | undefined {
  const rest = (contentEncoding ?? '')
    .split(',')
    .map((coding) => coding.trim())
    .filter((coding) => coding !== '' && coding.toLowerCase() !== 'aws-chunked');
  return rest.length === 0 ? undefined : rest.join(', ');
}

type State = 'size' | 'data' | 'data-end' | 'trailer' | 'done';

/** Streams the payload out of an aws-chunked body, chunk by chunk, without buffering the object. */
export class AwsChunkedDecoder extends Transform {
  private pending: Buffer = Buffer.alloc(0);
  private state: State = 'size';
  private remaining = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    try {
      this.drain();
      callback();
    } catch (error) {
      callback(error instanceof Error ? error : new AwsChunkedError(String(error)));
    }
  }

  override _flush(callback: TransformCallback): void {
    callback(
      this.state === 'done' ? null : new AwsChunkedError('aws-chunked body ended before its final chunk'),
    );
  }

  private line(): string | undefined {
    const end = this.pending.indexOf('\r\n');
    if (end < 0) {
      if (this.pending.length > MAX_LINE) throw new AwsChunkedError('aws-chunked line is too long');
      return undefined;
    }
    const text = this.pending.subarray(0, end).toString('latin1');
    this.pending = this.pending.subarray(end + 2);
    return text;
  }

  private drain(): void {
    for (;;) {
      switch (this.state) {
        case 'size': {
          const header = this.line();
          if (header === undefined) return;
          const size = (header.split(';')[0] ?? '').trim();
          if (!/^[0-9a-fA-F]{1,8}$/.test(size)) {
            throw new AwsChunkedError(`aws-chunked chunk header '${header.slice(0, 40)}' has no hex size`);
          }
          this.remaining = Number.parseInt(size, 16);
          this.state = this.remaining === 0 ? 'trailer' : 'data';
          break;
        }
        case 'data': {
          if (this.pending.length === 0) return;
          const take = Math.min(this.remaining, this.pending.length);
          this.push(this.pending.subarray(0, take));
          this.pending = this.pending.subarray(take);
          this.remaining -= take;
          if (this.remaining === 0) this.state = 'data-end';
          break;
        }
        case 'data-end': {
          if (this.pending.length < 2) return;
          if (this.pending[0] !== 0x0d || this.pending[1] !== 0x0a) {
            throw new AwsChunkedError('aws-chunked chunk is longer than its declared size');
          }
          this.pending = this.pending.subarray(2);
          this.state = 'size';
          break;
        }
        case 'trailer': {
          const trailer = this.line();
          if (trailer === undefined) return;
          if (trailer === '') this.state = 'done';
          break;
        }
        case 'done':
          this.pending = Buffer.alloc(0);
          return;
      }
    }
  }
}
