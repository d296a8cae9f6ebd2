/**
 * `router put`: the producer's command-line door to the stream. It reads JSON lines (CloudEvents or any
 * JSON objects), checks each the way the router will (so a malformed CloudEvent is caught here, with its
 * line number, instead of being quarantined later), and puts them with the batching, retrying producer.
 */
import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { JsonObject } from '../../asl/index.ts';
import { awsEnvironmentFromEnv, kinesisClient } from '../../aws/index.ts';
import { resourceNamesFromEnv } from '../../config.ts';
import { PatternError } from '../../patterns/index.ts';
import { EnvelopeError, parseIdPath, readPath, toEnvelope } from '../../pipeline/index.ts';
import {
  Producer,
  type ProducerEvent,
  type ProducerProgress,
  type ProducerSummary,
} from '../../producer/index.ts';
import {
  type Command,
  type CommandIo,
  type CommandOptions,
  parseCommandArgs,
  UsageError,
} from '../command.ts';
import { unreachableHint } from '../unreachable.ts';

const BAR_WIDTH = 30;
const PLAIN_INTERVAL_MS = 2_000;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Partition key of one line: the given path, else `subject`, else `id`. */
function partitionKeyOf(
  body: JsonObject,
  path: (string | number)[] | undefined,
  pathText: string | undefined,
) {
  if (path !== undefined) {
    const value = readPath(body, path);
    if (typeof value === 'string' && value !== '') return value;
    if (typeof value === 'number') return String(value);
    return new Error(`no string or number at --partition-key-path ${pathText}`);
  }
  for (const name of ['subject', 'id']) {
    const value = body[name];
    if (typeof value === 'string' && value !== '') return value;
    if (typeof value === 'number') return String(value);
  }
  return new Error("no partition key: the object has no 'subject' or 'id' (use --partition-key-path)");
}

/** Parses one input line into an event, or explains why it cannot be put. */
export function parseLine(
  line: string,
  keyPath?: { readonly parts: (string | number)[]; readonly text: string },
): ProducerEvent | Error {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return new Error(`not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!isObject(value)) return new Error('not a JSON object');
  try {
    toEnvelope(value, 'cli');
  } catch (error) {
    if (error instanceof EnvelopeError) return new Error(`invalid CloudEvent: ${error.message}`);
    throw error;
  }
  const key = partitionKeyOf(value, keyPath?.parts, keyPath?.text);
  if (key instanceof Error) return key;
  return { partitionKey: key, data: value };
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function progressReporter(io: CommandIo): { update(p: ProducerProgress): void; finish(): void } {
  const tty = (io.stderr as NodeJS.WritableStream & { isTTY?: boolean }).isTTY === true;
  let lastPlain = 0;
  let drawn = false;
  return {
    update(p) {
      if (tty) {
        const share = p.read === 0 ? 0 : p.records / p.read;
        const filled = Math.round(share * BAR_WIDTH);
        io.stderr.write(
          `\r[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${p.records}/${p.read} records, ${p.retries} retries, ${p.failed} failed `,
        );
        drawn = true;
        return;
      }
      const now = Date.now();
      if (now - lastPlain >= PLAIN_INTERVAL_MS) {
        lastPlain = now;
        io.stderr.write(`put: ${p.records} records written, ${p.retries} retries, ${p.failed} failed\n`);
      }
    },
    finish() {
      if (drawn) io.stderr.write('\n');
    },
  };
}

function summaryText(summary: ProducerSummary, stream: string, badLines: number): string {
  const lines = [
    `put ${summary.records} records (${formatBytes(summary.bytes)}) to ${stream} in ${summary.batches} requests; ` +
      `${summary.retries} retries, ${summary.failed} failed, ${badLines} bad lines`,
  ];
  for (const [code, count] of Object.entries(summary.errorCodes)) lines.push(`  ${code}: ${count}`);
  for (const failure of summary.failures.slice(0, 10)) {
    lines.push(
      `  event ${failure.index + 1} (key ${failure.partitionKey}): ${failure.errorCode}: ${failure.errorMessage}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const OPTIONS = {
  stream: {
    type: 'string',
    value: 'NAME',
    description: 'the stream (default: ROUTER_STREAM, else router-events)',
  },
  'partition-key-path': {
    type: 'string',
    value: 'PATH',
    description: "JSON path of each line's partition key (default: subject, else id)",
  },
  'strict-order': {
    type: 'boolean',
    description: 'at most one record per partition key in a request, so none overtakes a failed one',
  },
} as const satisfies CommandOptions;

/** The `router put [FILE|-] [--stream NAME] [--partition-key-path PATH] [--strict-order]` command. */
export const put: Command = {
  words: ['put'],
  usage: 'put [FILE|-] [--stream NAME] [--partition-key-path PATH] [--strict-order]',
  summary: 'put JSON lines (CloudEvents or JSON objects) on the stream; bad lines are reported and skipped',
  options: OPTIONS,
  details: [
    'Reads FILE, or standard input when FILE is - or absent. Progress goes to stderr, the summary to stdout.',
    'exit codes: 0 every line was put, 1 a line was skipped or a record failed, 2 bad options',
  ],
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, OPTIONS);
    if (positionals.length > 1) throw new UsageError('give at most one input file');
    const file = positionals[0] ?? '-';
    const stream = values.stream ?? resourceNamesFromEnv(io.env).stream;
    const pathText = values['partition-key-path'];
    let keyPath: { parts: (string | number)[]; text: string } | undefined;
    if (pathText !== undefined) {
      try {
        keyPath = { parts: parseIdPath(pathText), text: pathText };
      } catch (error) {
        throw new UsageError(error instanceof PatternError ? error.message : String(error));
      }
    }

    let input: NodeJS.ReadableStream;
    if (file === '-') {
      input = io.stdin;
    } else {
      try {
        input = (await open(resolve(io.cwd, file))).createReadStream();
      } catch (error) {
        io.stderr.write(
          `router put: cannot read '${file}': ${error instanceof Error ? error.message : String(error)}\n`,
        );
        return 1;
      }
    }

    let badLines = 0;
    const label = file === '-' ? 'stdin' : file;
    async function* events(): AsyncGenerator<ProducerEvent> {
      let lineNumber = 0;
      for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
        lineNumber++;
        if (line.trim() === '') continue;
        const event = parseLine(line, keyPath);
        if (event instanceof Error) {
          badLines++;
          io.stderr.write(`${label}:${lineNumber}: skipped: ${event.message}\n`);
          continue;
        }
        yield event;
      }
    }

    const kinesis = kinesisClient(awsEnvironmentFromEnv(io.env));
    const progress = progressReporter(io);
    try {
      const producer = new Producer({
        kinesis,
        streamName: stream,
        strictOrder: values['strict-order'] === true,
        onProgress: (p) => progress.update(p),
      });
      const summary = await producer.put(events());
      progress.finish();
      io.stdout.write(summaryText(summary, stream, badLines));
      const unreachable = summary.failures
        .map((f) => unreachableHint(new Error(f.errorMessage), io.env))
        .find((hint) => hint !== undefined);
      if (unreachable !== undefined) io.stderr.write(`router put: ${unreachable}\n`);
      return summary.failed > 0 || badLines > 0 ? 1 : 0;
    } finally {
      kinesis.destroy();
    }
  },
};
