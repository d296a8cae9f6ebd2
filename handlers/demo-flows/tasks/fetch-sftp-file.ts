/**
 * Reusable flow task (seed 001, "fetching files from a remote SFTP server"): copies one file from an SFTP
 * server into S3, streaming, so a file of any size passes through a Lambda with a few parts of memory
 * (`handlers/shared/s3Upload.ts`). The next steps read the object from S3 (`stream-s3-object`), never
 * the file's bytes from the workflow state.
 *
 * Connection settings: the input's `connection` (host, port, username, password or privateKey, or a
 * `secretId` naming a Secrets Manager secret with those fields), then `SFTP_*` variables; see
 * `handlers/shared/sftp.ts`. Failures are the `Sftp.*` errors named there, so Retry/Catch can tell a
 * refused login from a file that has not arrived yet.
 */
import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { s3Client } from '../../../router/aws/index.ts';
import { type UploadedObject, uploadStream } from '../../shared/s3Upload.ts';
import {
  openSftp,
  resolveSftpSettings,
  SftpError,
  type SftpSettings,
  sftpFailure,
} from '../../shared/sftp.ts';
import { requireString } from './input.ts';

const TASK = 'demo-fetch-sftp-file';
/** SFTP read size per request; ssh2 keeps one request in flight per stream. */
const READ_BYTES = 256 * 1024;

let client: S3Client | undefined;

/** What the task stored. */
export interface FetchedFile {
  readonly path: string;
  readonly bucket: string;
  readonly key: string;
  readonly bytes: number;
  readonly parts: number;
}

/** Streams `path` from the session into `s3://bucket/key`; any failure is an `Sftp.*` error or S3's own. */
async function copy(
  settings: SftpSettings,
  path: string,
  bucket: string,
  key: string,
): Promise<UploadedObject> {
  const session = await openSftp(settings);
  try {
    const size = await new Promise<number>((resolve, reject) =>
      session.sftp.stat(path, (error, stats) =>
        error ? reject(sftpFailure(error, path, settings)) : resolve(stats.size),
      ),
    );
    const source: Readable = session.sftp.createReadStream(path, { highWaterMark: READ_BYTES });
    // The stream closes its remote handle after the last read: the session ends only once that is done,
    // and an error the closing meets after the copy (the connection going first) is not the copy's.
    const closed = new Promise<void>((resolve) => source.once('close', () => resolve()));
    source.on('error', () => undefined);
    // A failed read fails the upload's loop with the SFTP error, named.
    const named = (async function* () {
      try {
        for await (const chunk of source) yield chunk as Buffer;
      } catch (error) {
        throw sftpFailure(error, path, settings);
      }
    })();
    client ??= s3Client();
    const stored = await uploadStream(client, named, { bucket, key });
    // A file still being written by the partner is caught here rather than stored half.
    if (stored.bytes !== size) {
      throw new SftpError(`${path} changed size while it was read (${size} bytes, then ${stored.bytes})`);
    }
    source.destroy();
    await closed;
    return stored;
  } finally {
    session.close();
  }
}

/**
 * The task handler: `{ path, bucket, key, connection? }` -> where the file now is.
 *
 * @example
 * await handler({ path: '/inbound/members.csv', bucket: 'router-engines', key: 'inbound/members.csv',
 *   connection: { secretId: 'sftp/partner' } });
 */
export async function handler(event: unknown): Promise<FetchedFile> {
  const path = requireString(event, 'path', TASK);
  const bucket = requireString(event, 'bucket', TASK);
  const key = requireString(event, 'key', TASK);
  const settings = await resolveSftpSettings((event as Record<string, unknown>).connection);
  const stored = await copy(settings, path, bucket, key);
  return { path, bucket, key, bytes: stored.bytes, parts: stored.parts };
}
