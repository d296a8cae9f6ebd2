/**
 * The local stack's SFTP server: a directory served over SSH with the stack's fixed local credentials,
 * kept in the data directory (files and host key) when the stack keeps its data, in a temporary directory
 * removed on stop otherwise.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateHostKey, type SftpServer, startSftpServer } from './SftpServer.ts';

export { type SftpServer, startSftpServer } from './SftpServer.ts';

/** The local stack's SFTP account, like its `test`/`test` AWS keys: fixed, so scripts can rely on it. */
export const LOCAL_SFTP_USER = { username: 'test', password: 'test' } as const;

/** Where and how to reach the stack's SFTP server. */
export interface SftpEndpoint {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  /** The directory on disk served as `/`: a test drops a file here and fetches `/NAME`. */
  readonly root: string;
  /** The host key's public half (OpenSSH form), for clients that pin it. */
  readonly hostPublicKey: string;
  /** `SFTP_HOST`, `SFTP_PORT`, `SFTP_USERNAME`, `SFTP_PASSWORD`, the variables the SFTP tasks read. */
  readonly env: Readonly<Record<string, string>>;
}

/** The variables a task reads its default SFTP connection from. */
export function sftpEnvironment(
  endpoint: Omit<SftpEndpoint, 'env' | 'root' | 'hostPublicKey'>,
): Record<string, string> {
  return {
    SFTP_HOST: endpoint.host,
    SFTP_PORT: String(endpoint.port),
    SFTP_USERNAME: endpoint.username,
    SFTP_PASSWORD: endpoint.password,
  };
}

/** Reads the kept host key, or makes one and keeps it, so clients see the same host after a restart. */
async function keptHostKey(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if (!(error instanceof Error && 'code' in error && error.code === 'ENOENT')) throw error;
    const key = generateHostKey();
    await writeFile(file, key, { mode: 0o600 });
    return key;
  }
}

/**
 * Starts the stack's SFTP server: files in `DIR/sftp/` and the host key in `DIR/sftp-host-key` with a
 * data directory, a temporary directory otherwise.
 */
export async function startLocalSftp(options: {
  readonly host: string;
  readonly dataDir?: string;
  readonly log?: (line: string) => void;
}): Promise<SftpEndpoint & { stop(): Promise<void> }> {
  const kept = options.dataDir !== undefined;
  const root =
    options.dataDir === undefined
      ? await mkdtemp(join(tmpdir(), 'router-sftp-'))
      : join(options.dataDir, 'sftp');
  let server: SftpServer;
  try {
    if (options.dataDir !== undefined) await mkdir(options.dataDir, { recursive: true });
    const hostKey =
      options.dataDir === undefined ? undefined : await keptHostKey(join(options.dataDir, 'sftp-host-key'));
    server = await startSftpServer({
      root,
      host: options.host,
      users: [LOCAL_SFTP_USER],
      ...(hostKey === undefined ? {} : { hostKey }),
      ...(options.log === undefined ? {} : { log: options.log }),
    });
  } catch (error) {
    if (!kept) await rm(root, { recursive: true, force: true });
    throw error;
  }
  const endpoint = { host: server.host, port: server.port, ...LOCAL_SFTP_USER };
  return {
    ...endpoint,
    root,
    hostPublicKey: server.hostPublicKey,
    env: sftpEnvironment(endpoint),
    async stop() {
      try {
        await server.stop();
      } finally {
        if (!kept) await rm(root, { recursive: true, force: true });
      }
    },
  };
}
