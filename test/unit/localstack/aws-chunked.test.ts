import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import {
  AwsChunkedDecoder,
  AwsChunkedError,
  isAwsChunked,
  withoutAwsChunked,
} from '../../../localstack/aws-chunked.ts';

/** Frames `parts` the way the SDK does, split into `pieces` network reads at awkward offsets. */
function framed(parts: readonly Buffer[], extension = ''): Buffer {
  const chunks = parts.map((part) =>
    Buffer.concat([Buffer.from(`${part.length.toString(16)}${extension}\r\n`), part, Buffer.from('\r\n')]),
  );
  return Buffer.concat([...chunks, Buffer.from(`0${extension}\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n`)]);
}

function decode(body: Buffer, readSize: number): Promise<Buffer> {
  const reads: Buffer[] = [];
  for (let offset = 0; offset < body.length; offset += readSize)
    reads.push(body.subarray(offset, offset + readSize));
  return buffer(Readable.from(reads).pipe(new AwsChunkedDecoder()));
}

describe('AwsChunkedDecoder', () => {
  it.each([1, 3, 7, 64, 100_000])(
    'recovers the payload when the body arrives %i bytes at a time',
    async (readSize) => {
      // Prepare
      const parts = [Buffer.from('hello '), Buffer.alloc(300, 'x'), Buffer.from('world')];

      // Act
      const decoded = await decode(framed(parts), readSize);

      // Assess
      expect(decoded).toEqual(Buffer.concat(parts));
    },
  );

  it('ignores chunk extensions such as chunk signatures', async () => {
    // Act
    const decoded = await decode(framed([Buffer.from('signed')], ';chunk-signature=abc123'), 5);

    // Assess
    expect(decoded.toString('utf8')).toBe('signed');
  });

  it('rejects a chunk header without a hex size', async () => {
    await expect(decode(Buffer.from('zz\r\nhello\r\n0\r\n\r\n'), 4)).rejects.toThrow(
      "aws-chunked chunk header 'zz' has no hex size",
    );
  });

  it('rejects a chunk longer than its declared size', async () => {
    await expect(decode(Buffer.from('2\r\nhello\r\n0\r\n\r\n'), 64)).rejects.toBeInstanceOf(AwsChunkedError);
  });

  it('rejects a body that ends before the final chunk', async () => {
    await expect(decode(Buffer.from('5\r\nhello\r\n'), 64)).rejects.toThrow(
      'aws-chunked body ended before its final chunk',
    );
  });
});

describe('Content-Encoding helpers', () => {
  it('find and remove aws-chunked among other codings', () => {
    expect(isAwsChunked('aws-chunked')).toBe(true);
    expect(isAwsChunked('gzip, aws-chunked')).toBe(true);
    expect(isAwsChunked('gzip')).toBe(false);
    expect(isAwsChunked(undefined)).toBe(false);
    expect(withoutAwsChunked('aws-chunked')).toBeUndefined();
    expect(withoutAwsChunked('aws-chunked, gzip')).toBe('gzip');
  });
});
