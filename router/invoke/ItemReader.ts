/**
 * A distributed Map's ItemReader: the items of an S3 object (a JSON array, JSON Lines, CSV, or an S3
 * inventory manifest and its CSV files) or of an S3 listing, shaped as Step Functions shapes them. The
 * object is parsed as its bytes arrive and reading stops at `MaxItems`, so a large object is never held
 * whole in memory (only the items taken are).
 *
 * Errors are `States.ItemReaderFailed`, their cause naming the object and, for a bad line or row, its
 * number, so an engine author finds the bad input at once.
 */
import { createGunzip } from 'node:zlib';
import { isJsonObject, type JsonObject, type JsonValue } from '../asl/index.ts';

/** Why reading items failed: the cause Step Functions reports with `States.ItemReaderFailed`. */
export class ItemReaderError extends Error {
  override readonly name = 'States.ItemReaderFailed';
}

/** One object of an S3 listing, as ListObjectsV2 gives it. */
export interface ListedObject {
  readonly Key?: string | undefined;
  readonly Size?: number | undefined;
  readonly ETag?: string | undefined;
  readonly LastModified?: Date | undefined;
  readonly StorageClass?: string | undefined;
}

/** The S3 reads an ItemReader makes. */
export interface ItemSource {
  /** The object's bytes, as they arrive. */
  getObject(bucket: string, key: string, signal: AbortSignal): Promise<AsyncIterable<Uint8Array | string>>;
  /** One page of a listing: its objects and the token of the next page. */
  listObjectsV2(
    input: JsonObject,
    signal: AbortSignal,
  ): Promise<{ readonly objects: readonly ListedObject[]; readonly next?: string | undefined }>;
}

/** What the interpreter asks for: the reader's resource, its Parameters and its ReaderConfig. */
export interface ItemReadRequest {
  readonly resource: string;
  readonly parameters: JsonObject;
  readonly config: JsonObject;
}

const DELIMITERS: Readonly<Record<string, string>> = {
  COMMA: ',',
  PIPE: '|',
  SEMICOLON: ';',
  SPACE: ' ',
  TAB: '\t',
};

function text(value: JsonValue | undefined, what: string): string {
  if (typeof value !== 'string' || value === '')
    throw new ItemReaderError(`${what} must be a non-empty string`);
  return value;
}

/** Decodes chunks to text, a multi-byte character split between chunks included. */
async function* decode(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of chunks) {
    const part = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    if (part !== '') yield part;
  }
  const rest = decoder.decode();
  if (rest !== '') yield rest;
}

/** Lines of a text stream, without their `\n` or `\r\n`. */
async function* lines(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  let carry = '';
  for await (const part of decode(chunks)) {
    carry += part;
    let start = 0;
    for (let nl = carry.indexOf('\n'); nl >= 0; nl = carry.indexOf('\n', start)) {
      const line = carry.slice(start, nl);
      yield line.endsWith('\r') ? line.slice(0, -1) : line;
      start = nl + 1;
    }
    carry = carry.slice(start);
  }
  if (carry !== '') yield carry.endsWith('\r') ? carry.slice(0, -1) : carry;
}

/** Items of a JSON Lines object: one JSON value per non-empty line. */
async function* jsonLines(
  chunks: AsyncIterable<Uint8Array | string>,
  where: string,
): AsyncGenerator<JsonValue> {
  let n = 0;
  for await (const line of lines(chunks)) {
    n += 1;
    if (line.trim() === '') continue;
    try {
      yield JSON.parse(line) as JsonValue;
    } catch (error) {
      throw new ItemReaderError(
        `${where} line ${n} is not JSON: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}

/**
 * Elements of a JSON array object, each parsed as soon as its text is complete: the scanner tracks
 * strings and nesting to find the commas at depth one.
 */
async function* jsonArray(
  chunks: AsyncIterable<Uint8Array | string>,
  where: string,
): AsyncGenerator<JsonValue> {
  let depth = 0;
  let inString = false;
  let escaped = false;
  let started = false;
  let ended = false;
  let element = '';
  let index = 0;
  const parse = (source: string): JsonValue => {
    try {
      return JSON.parse(source) as JsonValue;
    } catch (error) {
      throw new ItemReaderError(
        `${where} item ${index} is not JSON: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  };
  for await (const part of decode(chunks)) {
    let from = 0;
    for (let i = 0; i < part.length; i++) {
      const ch = part[i] as string;
      if (ended) {
        if (ch.trim() !== '') throw new ItemReaderError(`${where} holds more than one JSON value`);
        continue;
      }
      if (!started) {
        if (ch.trim() === '') continue;
        if (ch !== '[')
          throw new ItemReaderError(`${where} is not a JSON array (InputType JSON reads an array)`);
        started = true;
        from = i + 1;
        continue;
      }
      if (inString) {
        if (escaped) escaped = false;
        else if (ch === '\\') escaped = true;
        else if (ch === '"') inString = false;
        continue;
      }
      if (ch === '"') inString = true;
      else if (ch === '[' || ch === '{') depth += 1;
      else if ((ch === ']' || ch === '}') && depth > 0) depth -= 1;
      else if (depth === 0 && (ch === ',' || ch === ']')) {
        const source = element + part.slice(from, i);
        element = '';
        from = i + 1;
        if (source.trim() !== '') {
          yield parse(source);
          index += 1;
        } else if (ch === ',') throw new ItemReaderError(`${where} has an empty element at item ${index}`);
        if (ch === ']') ended = true;
      }
    }
    if (started && !ended) element += part.slice(from);
  }
  if (!ended) throw new ItemReaderError(`${where} is not a complete JSON array`);
}

/** Rows of a CSV text (RFC 4180: quoted fields, doubled quotes, line breaks inside quotes). */
export async function* csvRows(
  chunks: AsyncIterable<Uint8Array | string>,
  delimiter = ',',
): AsyncGenerator<string[]> {
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let quoteSeen = false;
  let pendingCr = false;
  let any = false;
  const endField = (): void => {
    row.push(field);
    field = '';
    quoteSeen = false;
  };
  for await (const part of decode(chunks)) {
    for (const ch of part) {
      if (quoted) {
        if (ch === '"') {
          quoted = false;
          quoteSeen = true;
        } else field += ch;
        continue;
      }
      if (pendingCr) {
        pendingCr = false;
        if (ch === '\n') continue;
      }
      if (ch === '"') {
        if (quoteSeen) field += '"';
        quoted = true;
        any = true;
      } else if (ch === delimiter) {
        endField();
        any = true;
      } else if (ch === '\n' || ch === '\r') {
        if (ch === '\r') pendingCr = true;
        if (any || field !== '') {
          endField();
          yield row;
        }
        row = [];
        any = false;
      } else {
        field += ch;
        any = true;
      }
    }
  }
  if (any || field !== '') {
    endField();
    yield row;
  }
}

/** CSV rows as objects keyed by the headers (every value a string, a missing one empty). */
async function* csvItems(
  rows: AsyncGenerator<string[]>,
  given: readonly string[] | undefined,
  where: string,
): AsyncGenerator<JsonValue> {
  let headers = given;
  if (headers === undefined) {
    const first = await rows.next();
    if (first.done === true) return;
    headers = first.value;
  }
  if (new Set(headers).size < headers.length) {
    throw new ItemReaderError(`${where}: CSV headers cannot contain duplicates`);
  }
  const names = headers;
  for await (const row of rows) {
    const item: JsonObject = {};
    names.forEach((name, i) => {
      item[name] = row[i] ?? '';
    });
    yield item;
  }
}

/** Parses an object of an S3 inventory's manifest: its bucket, schema and data files. */
function inventoryManifest(
  text: string,
  where: string,
): { bucket: string; schema: string[]; files: string[] } {
  let manifest: JsonValue;
  try {
    manifest = JSON.parse(text) as JsonValue;
  } catch {
    throw new ItemReaderError(`${where} is not an S3 inventory manifest (not JSON)`);
  }
  if (!isJsonObject(manifest) || !Array.isArray(manifest.files)) {
    throw new ItemReaderError(`${where} is not an S3 inventory manifest (no 'files')`);
  }
  if (manifest.fileFormat !== undefined && manifest.fileFormat !== 'CSV') {
    throw new ItemReaderError(
      `${where}: inventory format ${String(manifest.fileFormat)} is not read (CSV only)`,
    );
  }
  const destination = typeof manifest.destinationBucket === 'string' ? manifest.destinationBucket : '';
  const bucket = destination.replace(/^arn:aws[a-z-]*:s3:::/, '');
  const schema =
    typeof manifest.fileSchema === 'string' ? manifest.fileSchema.split(',').map((s) => s.trim()) : [];
  const files = manifest.files.flatMap((f) => (isJsonObject(f) && typeof f.key === 'string' ? [f.key] : []));
  if (bucket === '' || schema.length === 0) {
    throw new ItemReaderError(`${where}: the manifest needs 'destinationBucket' and 'fileSchema'`);
  }
  return { bucket, schema, files };
}

async function readAll(chunks: AsyncIterable<Uint8Array | string>): Promise<string> {
  let all = '';
  for await (const part of decode(chunks)) all += part;
  return all;
}

/** Gunzips a byte stream. */
async function* gunzip(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<Uint8Array> {
  const unzip = createGunzip();
  const feed = (async () => {
    for await (const chunk of chunks) {
      if (!unzip.write(chunk)) await new Promise((resolve) => unzip.once('drain', resolve));
    }
    unzip.end();
  })();
  feed.catch((error: unknown) => unzip.destroy(error instanceof Error ? error : new Error(String(error))));
  for await (const out of unzip) yield out as Uint8Array;
  await feed;
}

/** Items of every data file an S3 inventory manifest lists, keyed by its schema. */
async function* inventoryItems(
  source: ItemSource,
  bucket: string,
  key: string,
  signal: AbortSignal,
): AsyncGenerator<JsonValue> {
  const where = `s3://${bucket}/${key}`;
  const manifest = inventoryManifest(await readAll(await source.getObject(bucket, key, signal)), where);
  for (const file of manifest.files) {
    const body = await source.getObject(manifest.bucket, file, signal);
    const bytes = file.endsWith('.gz') ? gunzip(body) : body;
    yield* csvItems(csvRows(bytes), manifest.schema, `s3://${manifest.bucket}/${file}`);
  }
}

/** A listed object as Step Functions gives it to a Map item. */
function listedItem(object: ListedObject): JsonObject {
  return {
    Etag: object.ETag ?? '',
    Key: object.Key ?? '',
    LastModified: object.LastModified === undefined ? 0 : Math.floor(object.LastModified.getTime() / 1000),
    Size: object.Size ?? 0,
    StorageClass: object.StorageClass ?? 'STANDARD',
  };
}

/** Every object of a listing, page after page. */
async function* listingItems(
  source: ItemSource,
  parameters: JsonObject,
  signal: AbortSignal,
): AsyncGenerator<JsonValue> {
  let token: string | undefined;
  do {
    const page = await source.listObjectsV2(
      token === undefined ? parameters : { ...parameters, ContinuationToken: token },
      signal,
    );
    for (const object of page.objects) yield listedItem(object);
    token = page.next;
  } while (token !== undefined);
}

/** The item stream a request describes. */
function itemStream(
  source: ItemSource,
  request: ItemReadRequest,
  signal: AbortSignal,
): AsyncGenerator<JsonValue> {
  const { parameters, config } = request;
  const bucket = text(parameters.Bucket, 'ItemReader Parameters.Bucket');
  if (request.resource === 'arn:aws:states:::s3:listObjectsV2')
    return listingItems(source, parameters, signal);
  const key = text(parameters.Key, 'ItemReader Parameters.Key');
  const where = `s3://${bucket}/${key}`;
  const type = config.InputType;
  if (type === 'MANIFEST') return inventoryItems(source, bucket, key, signal);
  return (async function* () {
    const body = await source.getObject(bucket, key, signal);
    if (type === 'JSON') yield* jsonArray(body, where);
    else if (type === 'JSONL') yield* jsonLines(body, where);
    else if (type === 'CSV') {
      const delimiter =
        DELIMITERS[typeof config.CSVDelimiter === 'string' ? config.CSVDelimiter : 'COMMA'] ?? ',';
      const given = Array.isArray(config.CSVHeaders)
        ? config.CSVHeaders.filter((h): h is string => typeof h === 'string')
        : undefined;
      yield* csvItems(
        csvRows(body, delimiter),
        config.CSVHeaderLocation === 'GIVEN' ? given : undefined,
        where,
      );
    } else
      throw new ItemReaderError(
        `${where}: ReaderConfig.InputType ${String(type)} is not one this runtime reads`,
      );
  })();
}

/**
 * Reads the items a distributed Map's ItemReader names, at most `ReaderConfig.MaxItems` of them.
 *
 * @example
 * await readItems(source, {
 *   resource: 'arn:aws:states:::s3:getObject',
 *   parameters: { Bucket: 'in', Key: 'orders.jsonl' },
 *   config: { InputType: 'JSONL', MaxItems: 1000 },
 * }, signal);
 */
export async function readItems(
  source: ItemSource,
  request: ItemReadRequest,
  signal: AbortSignal,
): Promise<JsonValue[]> {
  const max =
    typeof request.config.MaxItems === 'number' ? request.config.MaxItems : Number.POSITIVE_INFINITY;
  const items: JsonValue[] = [];
  if (max <= 0) return items;
  const stream = itemStream(source, request, signal);
  for await (const item of stream) {
    items.push(item);
    if (items.length >= max) {
      await stream.return(undefined);
      break;
    }
  }
  return items;
}
