/**
 * Reusable flow task (seed 001, "getting and streaming an S3 object"): reads an object as a stream, line
 * by line, so files of any size are summarised without holding them in memory. Returns the header line
 * and the number of data lines and bytes.
 */
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { s3Client } from '../../router/aws/index.ts';
import { requireString } from './input.ts';

const TASK = 'tasks-stream-s3-object';

let client: ReturnType<typeof s3Client> | undefined;

/** What streaming the object found. */
export interface StreamSummary {
  bucket: string;
  key: string;
  header: string;
  rows: number;
  bytes: number;
}

/** The task handler: `{ bucket, key }` -> its summary. */
export async function handler(event: unknown): Promise<StreamSummary> {
  const bucket = requireString(event, 'bucket', TASK);
  const key = requireString(event, 'key', TASK);
  client ??= s3Client();
  const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const body = object.Body;
  if (!(body instanceof Readable)) throw new TypeError(`${TASK}: s3://${bucket}/${key} has no readable body`);
  let header = '';
  let rows = 0;
  let bytes = 0;
  body.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  for await (const line of createInterface({ input: body, crlfDelay: Number.POSITIVE_INFINITY })) {
    if (header === '' && rows === 0) header = line;
    else if (line.trim() !== '') rows++;
  }
  return { bucket, key, header, rows, bytes };
}
