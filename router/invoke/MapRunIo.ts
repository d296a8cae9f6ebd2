/**
 * Performs a distributed Map's S3 requests (the invokes the interpreter marks `mapRun`): the ItemReader's
 * read and the ResultWriter's write, over the S3 client the SDK integrations load on demand. The object
 * body is read as a stream.
 */
import { type InvokeEffect, isJsonObject, type JsonObject, type JsonValue } from '../asl/index.ts';
import { ItemReaderError, type ItemSource, type ListedObject, readItems } from './ItemReader.ts';
import { type ResultSink, type ResultWriteRequest, writeResults } from './ResultWriter.ts';
import { type SdkIntegrations, type SdkSent, serviceErrorName } from './SdkIntegrations.ts';
import type { InvokeOutcome } from './TaskInvoker.ts';

function sentCause(sent: SdkSent & { ok: false }): string {
  return sent.kind === 'service' ? `${serviceErrorName('S3', sent)}: ${sent.message}` : sent.message;
}

function isChunks(value: unknown): value is AsyncIterable<Uint8Array | string> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/** The S3 reads and writes of map runs, over the SDK integrations' S3 client. */
export function s3MapRunStore(sdk: SdkIntegrations): ItemSource & ResultSink {
  return {
    async getObject(bucket, key, signal) {
      const sent = await sdk.send('s3', 'GetObject', { Bucket: bucket, Key: key }, signal, { stream: true });
      if (!sent.ok) throw new ItemReaderError(`s3://${bucket}/${key}: ${sentCause(sent)}`);
      const stream = (sent.output as { Body?: unknown }).Body;
      if (!isChunks(stream)) throw new ItemReaderError(`s3://${bucket}/${key}: the object has no body`);
      return stream;
    },
    async listObjectsV2(input, signal) {
      const sent = await sdk.send('s3', 'ListObjectsV2', input, signal);
      if (!sent.ok) throw new ItemReaderError(`s3://${String(input.Bucket)}: ${sentCause(sent)}`);
      const output = sent.output as { Contents?: ListedObject[]; NextContinuationToken?: string };
      return { objects: output.Contents ?? [], next: output.NextContinuationToken };
    },
    async putObject(bucket, key, body, signal) {
      const sent = await sdk.send(
        's3',
        'PutObject',
        { Bucket: bucket, Key: key, Body: body, ContentType: 'application/json' },
        signal,
      );
      if (!sent.ok) throw new Error(`s3://${bucket}/${key}: ${sentCause(sent)}`);
    },
  };
}

function objectOf(value: JsonValue | undefined): JsonObject {
  return isJsonObject(value) ? value : {};
}

/** The write request's WriterConfig, when the Map gave one. */
function writerConfigOf(value: JsonValue | undefined): Pick<ResultWriteRequest, 'config'> {
  if (!isJsonObject(value)) return {};
  const { OutputType: outputType, Transformation: transformation } = value;
  return {
    config: {
      outputType: outputType === 'JSONL' ? 'JSONL' : 'JSON',
      transformation: transformation === 'COMPACT' || transformation === 'FLATTEN' ? transformation : 'NONE',
    },
  };
}

/**
 * Performs one map-run invoke against a store: the items read, or the ResultWriter details written.
 * A failed read is `States.ItemReaderFailed`, a failed write `States.ResultWriterFailed`.
 */
export async function performMapRunIo(
  store: ItemSource & ResultSink,
  effect: InvokeEffect,
  signal: AbortSignal,
): Promise<InvokeOutcome> {
  const input = objectOf(effect.input);
  const where = `Map state '${effect.stateName}'`;
  if (effect.mapRun === 'read') {
    try {
      const items = await readItems(
        store,
        {
          resource: effect.resource,
          parameters: objectOf(input.Parameters),
          config: objectOf(input.ReaderConfig),
        },
        signal,
      );
      return { ok: true, output: items };
    } catch (error) {
      const cause = error instanceof Error ? error.message : String(error);
      return { ok: false, error: 'States.ItemReaderFailed', cause: `${where}: ${cause}` };
    }
  }
  const parameters = objectOf(input.Parameters);
  try {
    const bucket = parameters.Bucket;
    if (typeof bucket !== 'string' || bucket === '')
      throw new Error(`ResultWriter Parameters.Bucket is missing`);
    const output = await writeResults(
      store,
      {
        bucket,
        prefix: typeof parameters.Prefix === 'string' ? parameters.Prefix : '',
        mapRunArn: String(input.MapRunArn),
        mapRunId: String(input.MapRunId),
        executions: Array.isArray(input.Executions) ? input.Executions : [],
        ...writerConfigOf(input.WriterConfig),
      },
      signal,
    );
    return { ok: true, output };
  } catch (error) {
    const cause = error instanceof Error ? error.message : String(error);
    return { ok: false, error: 'States.ResultWriterFailed', cause: `${where}: ${cause}` };
  }
}
