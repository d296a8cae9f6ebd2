/**
 * Reusable flow task (seed 001, "getting and streaming an S3 object"): reads a CSV object from a byte
 * offset and hands the next chunk of rows to the workflow, as objects keyed by the header's columns. Each
 * call reads only as far as its chunk (a ranged GetObject, closed once the chunk is full), so an object
 * of any size is read in bounded memory, and the chunk stays well inside Step Functions' 256 KiB state.
 * The workflow loops while `done` is false, passing `next` back as `cursor`:
 *
 * ```
 * cursor {offset 0, line 1}  -> header + rows 2..501    next {offset 18342, line 502, columns}
 * cursor {offset 18342, ...} -> rows 502..1001           next {...}
 * ...                        -> rows ..N, done: true
 * ```
 */
import { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { s3Client } from '../../../router/aws/index.ts';
import { requireString } from './input.ts';

const TASK = 'demo-stream-s3-object';
const DEFAULT_ROWS = 500;
const MAX_ROWS = 5_000;
/** Rows' bytes per chunk: the chunk joins the workflow state, which Step Functions holds to 256 KiB. */
const MAX_CHUNK_BYTES = 128 * 1024;

let client: S3Client | undefined;

/** Where the next call starts: a byte offset at a line start, that line's number, the columns. */
export interface StreamCursor {
  readonly offset: number;
  /** 1-based line number of the line at `offset`. */
  readonly line: number;
  /** The header's columns; empty until the header has been read. */
  readonly columns: readonly string[];
  /** Data rows handed out before `offset`. */
  readonly rowsRead: number;
}

/** One chunk of rows. */
export interface RowChunk {
  readonly bucket: string;
  readonly key: string;
  readonly columns: readonly string[];
  readonly rows: Record<string, string>[];
  /** Line number of `rows[0]` in the object (the header is line 1). */
  readonly firstLine: number;
  readonly count: number;
  readonly done: boolean;
  readonly next: StreamCursor;
}

/** A line the task cannot split into the header's columns. */
export class MalformedRowError extends Error {
  override readonly name = 'Tasks.MalformedRow';
}

/** Splits one CSV line (RFC 4180 quoting, no line breaks inside a field). */
export function splitCsvLine(line: string, where: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else field += c;
  }
  if (quoted) throw new MalformedRowError(`${where}: unterminated quoted field`);
  fields.push(field);
  return fields;
}

function cursorOf(event: Record<string, unknown>): StreamCursor {
  const raw = event.cursor ?? {};
  if (typeof raw !== 'object' || raw === null)
    throw new TypeError(`${TASK}: input field 'cursor' must be an object`);
  const cursor = raw as Record<string, unknown>;
  const count = (name: string, fallback: number, min: number): number => {
    const value = cursor[name] ?? fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min)
      throw new TypeError(`${TASK}: input field 'cursor.${name}' must be an integer >= ${min}`);
    return value;
  };
  const columns = cursor.columns ?? [];
  if (!Array.isArray(columns) || !columns.every((c) => typeof c === 'string'))
    throw new TypeError(`${TASK}: input field 'cursor.columns' must be an array of strings`);
  return {
    offset: count('offset', 0, 0),
    line: count('line', 1, 1),
    columns,
    rowsRead: count('rowsRead', 0, 0),
  };
}

/**
 * The task handler: `{ bucket, key, cursor?, maxRows? }` -> the next chunk of rows.
 *
 * @example
 * let chunk = await handler({ bucket, key });
 * while (!chunk.done) chunk = await handler({ bucket, key, cursor: chunk.next });
 */
export async function handler(event: unknown): Promise<RowChunk> {
  const bucket = requireString(event, 'bucket', TASK);
  const key = requireString(event, 'key', TASK);
  const input = event as Record<string, unknown>;
  const cursor = cursorOf(input);
  const maxRows = input.maxRows ?? DEFAULT_ROWS;
  if (typeof maxRows !== 'number' || !Number.isInteger(maxRows) || maxRows < 1 || maxRows > MAX_ROWS)
    throw new TypeError(`${TASK}: input field 'maxRows' must be an integer from 1 to ${MAX_ROWS}`);
  client ??= s3Client();
  const where = (line: number): string => `s3://${bucket}/${key} line ${line}`;

  let columns = [...cursor.columns];
  const rows: Record<string, string>[] = [];
  let offset = cursor.offset;
  let line = cursor.line;
  let firstLine = line;
  let chunkBytes = 0;
  let done = true;
  const object = await client.send(
    new GetObjectCommand({ Bucket: bucket, Key: key, ...(offset > 0 ? { Range: `bytes=${offset}-` } : {}) }),
  );
  const body = object.Body;
  if (!(body instanceof Readable)) throw new TypeError(`${TASK}: s3://${bucket}/${key} has no readable body`);
  /** Takes one complete line (without its newline); false when the chunk is full and the line stays unread. */
  const take = (bytes: Buffer): boolean => {
    const text = bytes.toString('utf8').replace(/\r$/, '');
    if (columns.length === 0) {
      columns = splitCsvLine(text, where(line));
    } else if (text.trim() !== '') {
      if (bytes.length > MAX_CHUNK_BYTES)
        throw new MalformedRowError(`${where(line)}: longer than ${MAX_CHUNK_BYTES} bytes`);
      if (rows.length >= maxRows || chunkBytes + bytes.length > MAX_CHUNK_BYTES) return false;
      const fields = splitCsvLine(text, where(line));
      if (fields.length !== columns.length)
        throw new MalformedRowError(
          `${where(line)}: ${fields.length} fields, the header has ${columns.length}`,
        );
      if (rows.length === 0) firstLine = line;
      rows.push(Object.fromEntries(columns.map((column, index) => [column, fields[index] ?? ''])));
      chunkBytes += bytes.length;
    }
    offset += bytes.length + 1;
    line += 1;
    return true;
  };
  let pending: Buffer = Buffer.alloc(0);
  try {
    reading: for await (const chunk of body as AsyncIterable<Buffer>) {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      let start = 0;
      for (let end = pending.indexOf(10, start); end !== -1; end = pending.indexOf(10, start)) {
        if (!take(pending.subarray(start, end))) {
          done = false;
          break reading;
        }
        start = end + 1;
      }
      pending = pending.subarray(start);
      if (pending.length > MAX_CHUNK_BYTES)
        throw new MalformedRowError(`${where(line)}: longer than ${MAX_CHUNK_BYTES} bytes`);
    }
    // The last line may have no newline; it counts as one only if it holds something.
    if (done && pending.length > 0) {
      if (take(pending)) offset -= 1;
      else done = false;
    }
  } finally {
    body.destroy();
  }
  return {
    bucket,
    key,
    columns,
    rows,
    firstLine,
    count: rows.length,
    done,
    next: { offset, line, columns, rowsRead: cursor.rowsRead + rows.length },
  };
}
