/**
 * The source types `public.source.source_type` may name. Adding one: write a {@link SourceReader} for
 * its upstream format in this folder and add it here; the graph and the other steps stay as they are.
 */
import { httpJsonSource } from './httpJson.ts';
import { sftpCsvSource } from './sftpCsv.ts';
import type { SourceReader } from './types.ts';

export type { Listing } from './types.ts';

const READERS: Readonly<Record<string, SourceReader>> = {
  'http-json': httpJsonSource,
  'sftp-csv': sftpCsvSource,
};

/** A source whose `source_type` no reader handles. */
export class UnknownSourceType extends Error {
  override readonly name = 'FlowTypes.UnknownSourceType';
}

/** The reader of a source type, or an error naming the source and the known types. */
export function readerFor(sourceId: string, sourceType: string): SourceReader {
  const reader = READERS[sourceType];
  if (reader === undefined) {
    throw new UnknownSourceType(
      `source '${sourceId}': source_type '${sourceType}' is not one of ${Object.keys(READERS).join(', ')}`,
    );
  }
  return reader;
}
