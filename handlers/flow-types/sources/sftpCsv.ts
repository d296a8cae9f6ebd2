/**
 * Source type `sftp-csv`: CSV exports dropped in a directory of an SFTP server. The server does not
 * filter, so every `.csv` file in the directory is read and the window is applied here; a listing found
 * in several files keeps its most recently modified version.
 *
 * ```
 * listing_id,street,city,price,property_type,modified_at,sold_date
 * S-1,"1 Quay St, Unit 4",Dublin,350000.00,apartment,2026-11-01 10:00:00.000,2021-05-03
 * ```
 *
 * `modified_at` is UTC (`YYYY-MM-DD HH:MM:SS[.mmm]`); `sold_date` is empty while unsold. Connection settings:
 * `{ "host", "port"?: 22, "username", "password", "directory": "/exports", "host_key_sha256"?: "base64" }`.
 */
import type { SFTPWrapper } from 'ssh2';
import { openSftp, type SftpSession } from '../../shared/sftp.ts';
import { parseCsv } from './csv.ts';
import {
  inWindow,
  type Listing,
  SourceFormatError,
  type SourceReader,
  SourceUnavailable,
  setting,
} from './types.ts';

const COLUMNS = [
  'listing_id',
  'street',
  'city',
  'price',
  'property_type',
  'modified_at',
  'sold_date',
] as const;

/** The listings of one CSV file, each row checked; errors name the file and the line. */
export function listingsOfCsv(text: string, file: string): Listing[] {
  const [header, ...rows] = parseCsv(text, file);
  if (header === undefined) return [];
  const index = COLUMNS.map((column) => header.indexOf(column));
  const missing = COLUMNS.filter((_, i) => index[i] === -1);
  if (missing.length > 0)
    throw new SourceFormatError(`${file}: header lacks column(s) ${missing.join(', ')}`);
  return rows.map((row, r) => {
    const [id = '', street = '', city = '', price = '', type = '', modified = '', sold = ''] = index.map(
      (i) => row[i] ?? '',
    );
    const where = `${file}: row ${r + 2}`;
    const amount = Number(price);
    const time = Date.parse(`${modified.trim().replace(' ', 'T')}Z`);
    if (id === '') throw new SourceFormatError(`${where}: listing_id is empty`);
    if (price === '' || !Number.isFinite(amount))
      throw new SourceFormatError(`${where}: price ${JSON.stringify(price)} is not a number`);
    if (Number.isNaN(time))
      throw new SourceFormatError(
        `${where}: modified_at ${JSON.stringify(modified)} is not 'YYYY-MM-DD HH:MM:SS[.mmm]'`,
      );
    if (sold !== '' && !/^\d{4}-\d{2}-\d{2}$/.test(sold))
      throw new SourceFormatError(`${where}: sold_date ${JSON.stringify(sold)} is not YYYY-MM-DD`);
    return {
      listing_id: id,
      address: street,
      city,
      price: Math.round(amount),
      property_type: type,
      last_modified: new Date(time).toISOString(),
      sold_date: sold === '' ? null : sold,
    };
  });
}

/** Opens a session with the steps' SFTP client; any failure to reach or log in is the source's. */
async function connect(
  sourceId: string,
  connection: Readonly<Record<string, unknown>>,
): Promise<SftpSession> {
  const host = String(setting(sourceId, connection, 'host', 'string'));
  const port = typeof connection.port === 'number' ? connection.port : 22;
  const expectedKey = typeof connection.host_key_sha256 === 'string' ? connection.host_key_sha256 : undefined;
  try {
    return await openSftp(
      {
        host,
        port,
        username: String(setting(sourceId, connection, 'username', 'string')),
        password: String(setting(sourceId, connection, 'password', 'string')),
        ...(expectedKey === undefined ? {} : { hostKeySha256: expectedKey }),
      },
      10_000,
    );
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new SourceUnavailable(`source '${sourceId}': SFTP ${host}:${port}: ${message}`, { cause: error });
  }
}

function readdir(sftp: SFTPWrapper, directory: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    sftp.readdir(directory, (error, entries) =>
      error ? reject(error) : resolve(entries.map((entry) => entry.filename)),
    );
  });
}

function readFile(sftp: SFTPWrapper, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    sftp.readFile(path, (error, data) => (error ? reject(error) : resolve(data.toString('utf8'))));
  });
}

/** Lists the directory, reads every CSV file and keeps the listings inside the window. */
export const sftpCsvSource: SourceReader = {
  async read(sourceId, connection, window) {
    const directory = String(setting(sourceId, connection, 'directory', 'string')).replace(/\/+$/, '');
    const session = await connect(sourceId, connection);
    const { sftp } = session;
    try {
      let files: string[];
      try {
        files = (await readdir(sftp, directory)).filter((name) => name.endsWith('.csv')).sort();
      } catch (error) {
        throw new SourceUnavailable(`source '${sourceId}': cannot list ${directory}`, { cause: error });
      }
      const latest = new Map<string, Listing>();
      for (const name of files) {
        const path = `${directory}/${name}`;
        for (const listing of listingsOfCsv(await readFile(sftp, path), `source '${sourceId}': ${path}`)) {
          const seen = latest.get(listing.listing_id);
          if (seen === undefined || seen.last_modified <= listing.last_modified)
            latest.set(listing.listing_id, listing);
        }
      }
      return [...latest.values()].filter((listing) => inWindow(listing, window));
    } finally {
      session.close();
    }
  },
};
