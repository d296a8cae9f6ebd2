/**
 * Reusable flow task (seed 001, "fetching files from a remote SFTP server"): fetches an inbound file.
 * The SFTP drop is modelled as an S3 prefix, which is where an AWS Transfer Family SFTP server puts files
 * anyway. Returns the file's text with its size, for files small enough to pass through a workflow.
 */
import { GetObjectCommand, NoSuchKey } from '@aws-sdk/client-s3';
import { s3Client } from '../../router/aws/index.ts';
import { requireString } from './input.ts';

const TASK = 'tasks-fetch-s3-file';
/** Step Functions passes at most 256 KiB between states; leave room for the rest of the state. */
const MAX_BYTES = 200 * 1024;

let client: ReturnType<typeof s3Client> | undefined;

/** A fetched file that is not there: a named error the workflow can Catch. */
export class FileNotFoundError extends Error {
  override readonly name = 'Tasks.FileNotFound';
}

/** The task handler: `{ bucket, key }` -> `{ bucket, key, bytes, text }`. */
export async function handler(
  event: unknown,
): Promise<{ bucket: string; key: string; bytes: number; text: string }> {
  const bucket = requireString(event, 'bucket', TASK);
  const key = requireString(event, 'key', TASK);
  client ??= s3Client();
  try {
    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const text = (await object.Body?.transformToString('utf8')) ?? '';
    const bytes = Buffer.byteLength(text);
    if (bytes > MAX_BYTES) {
      throw new RangeError(
        `${TASK}: s3://${bucket}/${key} is ${bytes} bytes; stream it (tasks-stream-s3-object) instead`,
      );
    }
    return { bucket, key, bytes, text };
  } catch (error) {
    if (error instanceof NoSuchKey)
      throw new FileNotFoundError(`${TASK}: s3://${bucket}/${key} does not exist`);
    throw error;
  }
}
