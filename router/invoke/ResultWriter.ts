/**
 * A distributed Map's ResultWriter: the records of its child executions written to S3 in the layout Step
 * Functions writes, and the details object the Map then returns.
 *
 * ```
 * s3://BUCKET/PREFIX/MAP_RUN_ID/manifest.json      { DestinationBucket, MapRunArn, ResultFiles }
 *                              /SUCCEEDED_0.json   [ { ExecutionArn, Input, Output, Status, ... } ]
 *                              /FAILED_0.json      [ { ..., Error, Cause, Status: FAILED } ]
 *                              /PENDING_0.json     [ { Input, InputDetails, Status: PENDING } ] (a failed
 *                                                  run's children that never started)
 * Map output: { MapRunArn, ResultWriterDetails: { Bucket, Key: ".../manifest.json" } }
 * ```
 *
 * A status with no record gets no file; a status whose records pass the file limit gets `_1`, `_2`...
 * WriterConfig shapes the files: Transformation `COMPACT` writes a succeeded child's output instead of
 * its record, `FLATTEN` also spreads an array output into its elements (see `shapeRecords`); OutputType
 * `JSONL` writes one value a line to `STATUS_n.jsonl` instead of a JSON array.
 */
import { isJsonObject, type JsonObject, type JsonValue, shapeRecords } from '../asl/index.ts';

/** The S3 write a ResultWriter makes. */
export interface ResultSink {
  putObject(bucket: string, key: string, body: string, signal: AbortSignal): Promise<void>;
}

/** What the interpreter hands over: where to write, the run, and one record per child. */
export interface ResultWriteRequest {
  readonly bucket: string;
  readonly prefix: string;
  readonly mapRunArn: string;
  readonly mapRunId: string;
  readonly executions: readonly JsonValue[];
  /** WriterConfig, as the Map gives it; default JSON records (OutputType JSON, Transformation NONE). */
  readonly config?: {
    readonly outputType: 'JSON' | 'JSONL';
    readonly transformation: 'NONE' | 'COMPACT' | 'FLATTEN';
  };
}

/** Bytes of records per result file before the next file starts. */
const FILE_BYTES = 64 * 1024 * 1024;

const STATUSES = ['SUCCEEDED', 'FAILED', 'PENDING'] as const;
type ResultStatus = (typeof STATUSES)[number];

function statusOf(record: JsonValue): ResultStatus {
  const status = isJsonObject(record) ? record.Status : undefined;
  if (status === 'SUCCEEDED') return 'SUCCEEDED';
  if (status === 'FAILED' || status === 'TIMED_OUT' || status === 'ABORTED') return 'FAILED';
  return 'PENDING';
}

/** The folder a run's files go under: `PREFIX/MAP_RUN_ID/` (no doubled slash, no leading one). */
export function resultFolder(prefix: string, mapRunId: string): string {
  const base = prefix.replace(/\/+$/, '');
  return base === '' ? `${mapRunId}/` : `${base}/${mapRunId}/`;
}

/** Splits values into file bodies of at most {@link FILE_BYTES} (one value at least per file). */
function files(values: readonly JsonValue[], lines: boolean): string[] {
  const out: string[] = [];
  let current: string[] = [];
  let bytes = 2;
  const body = (texts: string[]): string => (lines ? `${texts.join('\n')}\n` : `[${texts.join(',')}]`);
  for (const value of values) {
    const text = JSON.stringify(value);
    if (current.length > 0 && bytes + text.length + 1 > FILE_BYTES) {
      out.push(body(current));
      current = [];
      bytes = 2;
    }
    current.push(text);
    bytes += text.length + 1;
  }
  if (current.length > 0) out.push(body(current));
  return out;
}

/**
 * Writes a map run's results and its manifest; returns the Map's output.
 *
 * @example
 * await writeResults(sink, { bucket: 'out', prefix: 'runs', mapRunArn, mapRunId, executions }, signal);
 * // { MapRunArn, ResultWriterDetails: { Bucket: 'out', Key: 'runs/<id>/manifest.json' } }
 */
export async function writeResults(
  sink: ResultSink,
  request: ResultWriteRequest,
  signal: AbortSignal,
): Promise<JsonObject> {
  const folder = resultFolder(request.prefix, request.mapRunId);
  const byStatus = new Map<ResultStatus, JsonValue[]>(STATUSES.map((s) => [s, []]));
  for (const record of request.executions) byStatus.get(statusOf(record))?.push(record);
  const resultFiles: JsonObject = {};
  const lines = request.config?.outputType === 'JSONL';
  const transformation = request.config?.transformation ?? 'NONE';
  for (const status of STATUSES) {
    const listed: JsonValue[] = [];
    const bodies = files(shapeRecords(byStatus.get(status) ?? [], transformation), lines);
    for (const [n, body] of bodies.entries()) {
      const key = `${folder}${status}_${n}.${lines ? 'jsonl' : 'json'}`;
      await sink.putObject(request.bucket, key, body, signal);
      listed.push({ Key: key, Size: Buffer.byteLength(body) });
    }
    resultFiles[status] = listed;
  }
  const manifestKey = `${folder}manifest.json`;
  const manifest = {
    DestinationBucket: request.bucket,
    MapRunArn: request.mapRunArn,
    ResultFiles: resultFiles,
  };
  await sink.putObject(request.bucket, manifestKey, JSON.stringify(manifest), signal);
  return { MapRunArn: request.mapRunArn, ResultWriterDetails: { Bucket: request.bucket, Key: manifestKey } };
}
