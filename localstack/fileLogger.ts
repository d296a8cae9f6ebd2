/**
 * The local router's log: structured JSON lines in a file, so the terminal shows progress while every
 * log line (execution id, engine@version, shard, sequence number) stays available to `tail -f`.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LogFields, RouterLogger } from '../router/observability/index.ts';

/** A logger that appends JSON lines to `path`; `close()` flushes it. */
export function fileLogger(path: string): RouterLogger & { close(): Promise<void> } {
  mkdirSync(dirname(path), { recursive: true });
  const stream = createWriteStream(path, { flags: 'a' });
  const write = (level: string, message: string, fields?: LogFields): void => {
    stream.write(`${JSON.stringify({ level, timestamp: new Date().toISOString(), message, ...fields })}\n`);
  };
  return {
    debug: (message, fields) => write('DEBUG', message, fields),
    info: (message, fields) => write('INFO', message, fields),
    warn: (message, fields) => write('WARN', message, fields),
    error: (message, fields) => write('ERROR', message, fields),
    close: () => new Promise((resolve) => stream.end(resolve)),
  };
}
