/**
 * Streams bytes of unknown length into one S3 object with bounded memory: a multipart upload of fixed-size
 * parts, at most `partsInFlight` parts uploading while the next one fills, so a file of any size costs
 * `(partsInFlight + 1) x partBytes` of buffers. A body smaller than one part is one PutObject. A failed
 * upload is aborted, so no orphaned parts are left to pay for.
 *
 * ```
 * source chunks  ->  [ part 1 ][ part 2 ][ part 3 (filling) ]   up to partsInFlight uploading at once
 *                      UploadPart  UploadPart                   -> CompleteMultipartUpload
 * ```
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';

/** S3's smallest part (all but the last). */
const MIN_PART_BYTES = 5 * 1024 * 1024;

/** Options of {@link uploadStream}. */
export interface UploadStreamOptions {
  readonly bucket: string;
  readonly key: string;
  readonly contentType?: string;
  /** Default 8 MiB; at least 5 MiB (S3's minimum). */
  readonly partBytes?: number;
  /** Default 2. */
  readonly partsInFlight?: number;
}

/** What was stored. */
export interface UploadedObject {
  readonly bytes: number;
  /** 0 for a single PutObject. */
  readonly parts: number;
}

/**
 * Uploads everything `source` yields to `s3://bucket/key`.
 *
 * @example
 * const stored = await uploadStream(s3, sftp.createReadStream('/inbound/a.csv'), { bucket, key: 'inbound/a.csv' });
 */
export async function uploadStream(
  s3: S3Client,
  source: AsyncIterable<Uint8Array>,
  options: UploadStreamOptions,
): Promise<UploadedObject> {
  const partBytes = options.partBytes ?? 8 * 1024 * 1024;
  const inFlight = options.partsInFlight ?? 2;
  if (partBytes < MIN_PART_BYTES)
    throw new RangeError(`uploadStream: partBytes must be at least ${MIN_PART_BYTES}`);
  if (!Number.isInteger(inFlight) || inFlight < 1)
    throw new RangeError('uploadStream: partsInFlight must be a positive integer');
  const target = { Bucket: options.bucket, Key: options.key };
  const contentType = options.contentType === undefined ? {} : { ContentType: options.contentType };

  let part = Buffer.allocUnsafe(partBytes);
  let filled = 0;
  let bytes = 0;
  let uploadId: string | undefined;
  let partNumber = 0;
  const etags: { PartNumber: number; ETag: string }[] = [];
  const pending = new Set<Promise<void>>();
  // A part's buffer is reused once S3 has answered for it, so a long upload allocates `partsInFlight + 1`
  // buffers in all rather than one per part; garbage of that size is what lets RSS drift before a GC.
  const spare: Buffer<ArrayBuffer>[] = [];

  const sendPart = async (body: Buffer, number: number): Promise<void> => {
    const { ETag } = await s3.send(
      new UploadPartCommand({ ...target, UploadId: uploadId, PartNumber: number, Body: body }),
    );
    if (ETag === undefined)
      throw new Error(`s3://${options.bucket}/${options.key}: part ${number} has no ETag`);
    etags.push({ PartNumber: number, ETag });
  };
  const flush = async (): Promise<void> => {
    if (uploadId === undefined) {
      const created = await s3.send(new CreateMultipartUploadCommand({ ...target, ...contentType }));
      uploadId = created.UploadId;
      if (uploadId === undefined) throw new Error(`s3://${options.bucket}/${options.key}: no upload id`);
    }
    // Wait for a free slot before handing the buffer over: this is the memory bound.
    while (pending.size >= inFlight) await Promise.race(pending);
    partNumber += 1;
    const sent = part;
    const upload = sendPart(sent.subarray(0, filled), partNumber);
    const tracked = upload.finally(() => {
      pending.delete(tracked);
      spare.push(sent);
    });
    pending.add(tracked);
    part = spare.pop() ?? Buffer.allocUnsafe(partBytes);
    filled = 0;
  };

  try {
    for await (const chunk of source) {
      let offset = 0;
      while (offset < chunk.length) {
        const copied = Math.min(chunk.length - offset, partBytes - filled);
        part.set(chunk.subarray(offset, offset + copied), filled);
        filled += copied;
        offset += copied;
        bytes += copied;
        if (filled === partBytes) await flush();
      }
    }
    if (uploadId === undefined) {
      await s3.send(new PutObjectCommand({ ...target, ...contentType, Body: part.subarray(0, filled) }));
      return { bytes, parts: 0 };
    }
    if (filled > 0) await flush();
    await Promise.all(pending);
    etags.sort((a, b) => a.PartNumber - b.PartNumber);
    await s3.send(
      new CompleteMultipartUploadCommand({
        ...target,
        UploadId: uploadId,
        MultipartUpload: { Parts: etags },
      }),
    );
    return { bytes, parts: etags.length };
  } catch (error) {
    await Promise.allSettled(pending);
    if (uploadId !== undefined) {
      await s3.send(new AbortMultipartUploadCommand({ ...target, UploadId: uploadId })).catch(() => {});
    }
    throw error;
  }
}
