/**
 * `router quarantine list | show | redrive`: the operator's view of the records the router gave up on
 * (undecodable, unroutable, or failing retryably too many times). `list` reads the quarantine index page
 * by page with its filters, `show` prints one entry with its record decoded, and `redrive` puts that one
 * record back on the stream (`router redrive --quarantined` does it for every entry a filter selects).
 */

import type { JsonValue } from '../../asl/index.ts';
import { awsEnvironmentFromEnv, dynamoDbDocumentClient, kinesisClient, s3Client } from '../../aws/index.ts';
import { resourceNamesFromEnv } from '../../config.ts';
import {
  type QuarantineDetail,
  type QuarantineEntry,
  type QuarantineStore,
  S3QuarantineStore,
} from '../../quarantine/index.ts';
import {
  type Command,
  type CommandIo,
  type CommandOptions,
  parseCommandArgs,
  UsageError,
} from '../command.ts';
import { table } from '../table.ts';
import { executionStoreFromEnv } from './executions.ts';
import { parseSince, redriveQuarantinedRecord } from './redrive.ts';

/** The quarantine of the deployment the environment names. */
export function quarantineStoreFromEnv(env: NodeJS.ProcessEnv): S3QuarantineStore {
  const aws = awsEnvironmentFromEnv(env);
  const names = resourceNamesFromEnv(env);
  return new S3QuarantineStore({
    dynamodb: dynamoDbDocumentClient(aws),
    s3: s3Client(aws),
    table: names.enginesTable,
    bucket: names.bucket,
  });
}

/** Tests swap the store; the CLI builds it from the environment. */
export type QuarantineStoreFactory = (io: CommandIo) => QuarantineStore;
let makeStore: QuarantineStoreFactory = (io) => quarantineStoreFromEnv(io.env);

/** Replaces how the quarantine commands build their store (tests hand them an in-memory one). */
export function setQuarantineStoreFactory(factory: QuarantineStoreFactory): void {
  makeStore = factory;
}

/** C0 control characters other than tab, newline, vertical tab, form feed and carriage return. */
function isBinaryControl(char: string): boolean {
  const code = char.charCodeAt(0);
  return code < 0x20 && (code < 0x09 || code > 0x0d);
}

/** A record's bytes as a person reads them: the JSON it holds, else its text, else base64. */
export function decodeRecordData(base64: string): {
  readonly as: 'json' | 'text' | 'base64';
  readonly data: JsonValue;
} {
  const bytes = Buffer.from(base64, 'base64');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { as: 'base64', data: base64 };
  }
  // Control characters other than whitespace mean binary that happens to be valid UTF-8.
  if ([...text].some(isBinaryControl)) return { as: 'base64', data: base64 };
  try {
    return { as: 'json', data: JSON.parse(text) as JsonValue };
  } catch {
    return { as: 'text', data: text };
  }
}

/** What `show` prints: the index entry, where the record came from, and the record's data decoded. */
export function quarantineSummary(entry: QuarantineEntry | QuarantineDetail): Record<string, JsonValue> {
  const { record } = entry;
  const summary: Record<string, JsonValue> = {
    id: entry.id,
    reason: entry.reason,
    message: entry.message,
    engine: entry.engine ?? null,
    quarantinedAt: entry.quarantinedAt,
    attempts: entry.attempts ?? null,
    redrivenAt: entry.redrivenAt ?? null,
    objectKey: entry.objectKey,
    record: {
      shardId: record.shardId,
      sequenceNumber: record.sequenceNumber,
      ...(record.subSequence === undefined ? {} : { subSequence: record.subSequence }),
      partitionKey: record.partitionKey,
      arrivedAt: record.arrivedAt,
    },
  };
  if ('data' in record) {
    const decoded = decodeRecordData(record.data);
    summary.bytes = Buffer.byteLength(record.data, 'base64');
    summary.dataAs = decoded.as;
    summary.data = decoded.data;
  }
  return summary;
}

/** True when an error (or a cause of it) says the S3 object is not there. */
function isMissingObject(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (e.name === 'NoSuchKey') return true;
  }
  return false;
}

/** The index entry of an id, read from the page of the index where it sorts. */
async function findEntry(store: QuarantineStore, id: string): Promise<QuarantineEntry | undefined> {
  const arrivedAt = id.split('#')[0] ?? '';
  if (Number.isNaN(Date.parse(arrivedAt))) return undefined;
  for await (const entry of store.list({ since: arrivedAt })) {
    if (entry.id === id) return entry;
    if (entry.id > id) return undefined;
  }
  return undefined;
}

function requireId(positionals: readonly string[]): string {
  const [id] = positionals;
  if (id === undefined || id === '' || positionals.length > 1)
    throw new UsageError('give one quarantine id (the ID column of `router quarantine list`)');
  if (id.split('#').length < 3)
    throw new UsageError(`'${id}' is not a quarantine id (they look like ARRIVED#SHARD#SEQUENCE)`);
  return id;
}

const LIST_OPTIONS = {
  engine: { type: 'string', value: 'NAME', description: "only this engine's records" },
  reason: {
    type: 'string',
    value: 'R',
    description: 'only records quarantined for this reason (no-route, max-attempts, a decode reason, ...)',
  },
  since: {
    type: 'string',
    value: 'TIME',
    description: 'only records that arrived at or after TIME (ISO 8601)',
  },
  limit: { type: 'string', value: 'N', description: 'at most N entries (default 50)' },
} as const satisfies CommandOptions;

const list: Command = {
  words: ['quarantine', 'list'],
  usage: 'quarantine list [--engine NAME] [--reason R] [--since TIME] [--limit N]',
  summary: 'quarantined records, oldest arrival first: why, which engine, attempts, whether redriven',
  options: LIST_OPTIONS,
  details: ['The count goes to stderr, so stdout is the table alone.'],
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, LIST_OPTIONS);
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const since = parseSince(values.since);
    const limit = values.limit === undefined ? 50 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1)
      throw new UsageError(`--limit ${values.limit}: expected a positive integer`);
    const rows: string[][] = [];
    const entries = makeStore(io).list({
      limit,
      ...(values.engine === undefined ? {} : { engine: values.engine }),
      ...(values.reason === undefined ? {} : { reason: values.reason }),
      ...(since === undefined ? {} : { since }),
    });
    for await (const e of entries) {
      rows.push([
        e.id,
        e.reason,
        e.engine ?? '-',
        e.attempts === undefined ? '-' : String(e.attempts),
        e.quarantinedAt,
        e.redrivenAt ?? '-',
      ]);
    }
    io.stdout.write(table(['ID', 'REASON', 'ENGINE', 'ATTEMPTS', 'QUARANTINED', 'REDRIVEN'], rows));
    const more = rows.length === limit ? ` (the first ${limit}: raise --limit for more)` : '';
    io.stderr.write(`${rows.length} quarantined record${rows.length === 1 ? '' : 's'}${more}\n`);
    return 0;
  },
};

const show: Command = {
  words: ['quarantine', 'show'],
  usage: 'quarantine show ID',
  summary: 'one quarantined record as JSON: reason, message, engine, time, attempts and the record decoded',
  options: {},
  details: [
    'ID is the ID column of `router quarantine list`. `data` is the record as JSON when it is JSON (`dataAs`',
    'says json, text or base64). Put it back on the stream with `router quarantine redrive ID`.',
  ],
  async run(args, io) {
    const { positionals } = parseCommandArgs(args, {});
    const id = requireId(positionals);
    const store = makeStore(io);
    let detail: QuarantineDetail | undefined;
    try {
      detail = await store.get(id);
    } catch (error) {
      if (!isMissingObject(error)) throw error;
      const entry = await findEntry(store, id);
      if (entry === undefined) throw error;
      io.stdout.write(`${JSON.stringify(quarantineSummary(entry), null, 2)}\n`);
      io.stderr.write(
        `the record's object ${entry.objectKey} is gone from the bucket (quarantined records expire after 30 days): its data cannot be shown or redriven\n`,
      );
      return 1;
    }
    if (detail === undefined) throw new Error(`no quarantined record ${id} (see router quarantine list)`);
    io.stdout.write(`${JSON.stringify(quarantineSummary(detail), null, 2)}\n`);
    return 0;
  },
};

const REDRIVE_OPTIONS = {
  again: { type: 'boolean', description: 'put it back even if it was redriven before' },
  stream: {
    type: 'string',
    value: 'NAME',
    description: 'the stream (default: ROUTER_STREAM, else router-events)',
  },
} as const satisfies CommandOptions;

const redrive: Command = {
  words: ['quarantine', 'redrive'],
  usage: 'quarantine redrive ID [--again] [--stream NAME]',
  summary: 'put one quarantined record back on the stream unchanged, reopening its execution if needed',
  options: REDRIVE_OPTIONS,
  details: [
    'An execution quarantined after too many retryable failures is reopened (its checkpoint kept), so the',
    'record resumes it instead of being answered as a duplicate. For every record a filter selects:',
    'router redrive --quarantined [--engine NAME] [--reason R] [--since TIME].',
    'exit codes: 0 redriven, 1 unknown, already redriven or not put, 2 bad options',
  ],
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, REDRIVE_OPTIONS);
    const id = requireId(positionals);
    const quarantine = makeStore(io);
    const detail = await quarantine.get(id);
    if (detail === undefined) throw new Error(`no quarantined record ${id} (see router quarantine list)`);
    if (detail.redrivenAt !== undefined && values.again !== true) {
      io.stderr.write(
        `router quarantine redrive: ${id} was already redriven at ${detail.redrivenAt}; --again puts it back once more\n`,
      );
      return 1;
    }
    const streamName = values.stream ?? resourceNamesFromEnv(io.env).stream;
    const kinesis = kinesisClient(awsEnvironmentFromEnv(io.env));
    try {
      const outcome = await redriveQuarantinedRecord(detail, {
        quarantine,
        executions: executionStoreFromEnv(io.env),
        kinesis,
        streamName,
        now: () => new Date(),
      });
      if (outcome.kind === 'failed') {
        io.stderr.write(
          `router quarantine redrive: ${id} was not put on ${streamName}: ${outcome.message}\n`,
        );
        return 1;
      }
      io.stdout.write(
        `redrove ${id} to ${streamName}${outcome.reopened ? ' (its execution was reopened)' : ''}\n`,
      );
      return 0;
    } finally {
      kinesis.destroy();
    }
  },
};

/** The `router quarantine ...` commands. */
export const quarantineCommands: readonly Command[] = [list, show, redrive];
