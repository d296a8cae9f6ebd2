/**
 * A local SFTP server over a directory on disk, for the flows that fetch files from a partner's SFTP drop
 * (seed 001's "fetching files from a remote SFTP server", seed 000's CSV source type). It speaks real SSH
 * (ssh2's Server), so the task code under test is the code that runs against a real server: password and
 * public key authentication, the SFTP v3 requests a client uses to list, read, write, rename and delete,
 * and every path confined to the served directory.
 *
 * ```
 * client path           served file
 * /inbound/a.csv   ->   ROOT/inbound/a.csv
 * /../etc/passwd   ->   ROOT/etc/passwd      (".." never climbs above ROOT)
 * ```
 */
import { timingSafeEqual } from 'node:crypto';
import { type FileHandle, mkdir, open, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join, posix } from 'node:path';
import ssh2, { type Attributes, type AuthContext, type Connection, type SFTPWrapper } from 'ssh2';

const { Server, utils } = ssh2;
const { STATUS_CODE, flagsToString } = utils.sftp;

/** One account of the server. */
export interface SftpUser {
  readonly username: string;
  /** Accepted password; omit for key-only accounts. */
  readonly password?: string;
  /** Accepted public keys, in OpenSSH form (`ssh-ed25519 AAAA... comment`). */
  readonly authorizedKeys?: readonly string[];
}

/** Options of {@link startSftpServer}. */
export interface SftpServerOptions {
  /** The directory served as `/`; created when missing. */
  readonly root: string;
  /** The accounts; at least one. */
  readonly users: readonly SftpUser[];
  /** Host private key (OpenSSH or PEM); default a fresh ECDSA P-256 key, so clients see a new host each start. */
  readonly hostKey?: string;
  /** Default `127.0.0.1`. */
  readonly host?: string;
  /** Default 0: a free port. */
  readonly port?: number;
  /** One line per connection refused or request failed. Default: silent. */
  readonly log?: (line: string) => void;
}

/** A running server. */
export interface SftpServer {
  readonly host: string;
  readonly port: number;
  readonly root: string;
  /** The host key's public half in OpenSSH form, for clients that verify the host. */
  readonly hostPublicKey: string;
  /** Closes the listener and every open connection; idempotent. */
  stop(): Promise<void>;
}

/**
 * A fresh unencrypted ECDSA P-256 host key, in OpenSSH form. Not ed25519: about one in a hundred of the
 * ed25519 keys ssh2 generates fail its own parser ("Malformed OpenSSH private key").
 */
export function generateHostKey(): string {
  return utils.generateKeyPairSync('ecdsa', { bits: 256 }).private;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  // Compare equal-length buffers either way, so the time taken does not reveal the length.
  return timingSafeEqual(a, a.length === b.length ? b : a) && a.length === b.length;
}

function keyAccepted(ctx: Extract<AuthContext, { method: 'publickey' }>, user: SftpUser): boolean {
  for (const line of user.authorizedKeys ?? []) {
    const parsed = utils.parseKey(line);
    if (parsed instanceof Error) continue;
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    if (key === undefined || key.type !== ctx.key.algo || !key.getPublicSSH().equals(ctx.key.data)) continue;
    // Without a signature the client only asks whether the key would do; with one, it must verify.
    if (ctx.signature === undefined || ctx.blob === undefined) return true;
    return key.verify(ctx.blob, ctx.signature, ctx.hashAlgo);
  }
  return false;
}

function authenticate(ctx: AuthContext, users: readonly SftpUser[]): void {
  const user = users.find((candidate) => candidate.username === ctx.username);
  if (user === undefined) {
    ctx.reject(['password', 'publickey']);
    return;
  }
  if (ctx.method === 'password' && user.password !== undefined && sameSecret(ctx.password, user.password)) {
    ctx.accept();
    return;
  }
  if (ctx.method === 'publickey' && keyAccepted(ctx, user)) {
    ctx.accept();
    return;
  }
  ctx.reject([...(user.password === undefined ? [] : ['password' as const]), 'publickey']);
}

/** The served file for a client path: `..` is resolved against `/` first, so it never leaves the root. */
function served(root: string, path: string): string {
  return join(root, posix.resolve('/', path));
}

function attributesOf(stats: {
  mode: number;
  uid: number;
  gid: number;
  size: number;
  atimeMs: number;
  mtimeMs: number;
}): Attributes {
  return {
    mode: stats.mode,
    uid: stats.uid,
    gid: stats.gid,
    size: stats.size,
    atime: Math.floor(stats.atimeMs / 1000),
    mtime: Math.floor(stats.mtimeMs / 1000),
  };
}

function statusOf(error: unknown): number {
  const code = error instanceof Error && 'code' in error ? error.code : undefined;
  if (code === 'ENOENT' || code === 'ENOTDIR') return STATUS_CODE.NO_SUCH_FILE;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EEXIST') return STATUS_CODE.PERMISSION_DENIED;
  return STATUS_CODE.FAILURE;
}

type OpenHandle = { kind: 'file'; file: FileHandle } | { kind: 'dir'; path: string; listed: boolean };

/** Answers one SFTP session's requests from the served directory. */
function serveSession(sftp: SFTPWrapper, root: string, log: (line: string) => void): void {
  const handles = new Map<number, OpenHandle>();
  let next = 0;
  const register = (handle: OpenHandle): Buffer => {
    const id = next++;
    handles.set(id, handle);
    const buffer = Buffer.alloc(4);
    buffer.writeUInt32BE(id, 0);
    return buffer;
  };
  const lookup = (handle: Buffer): OpenHandle | undefined =>
    handle.length === 4 ? handles.get(handle.readUInt32BE(0)) : undefined;
  /** Runs one request; a thrown fs error becomes the SFTP status the client expects. */
  const answer = (reqId: number, request: string, work: () => Promise<void>): void => {
    work().catch((error: unknown) => {
      log(`sftp: ${request} failed: ${error instanceof Error ? error.message : String(error)}`);
      sftp.status(reqId, statusOf(error));
    });
  };
  const badHandle = (reqId: number): void => sftp.status(reqId, STATUS_CODE.FAILURE, 'unknown handle');

  sftp
    .on('OPEN', (reqId, filename, flags, attrs) =>
      answer(reqId, `OPEN ${filename}`, async () => {
        const mode = flagsToString(flags);
        if (mode === null) throw new Error(`unsupported open flags ${flags}`);
        const file = await open(served(root, filename), mode, attrs.mode ?? 0o644);
        sftp.handle(reqId, register({ kind: 'file', file }));
      }),
    )
    .on('READ', (reqId, handle, offset, length) => {
      const entry = lookup(handle);
      if (entry?.kind !== 'file') return badHandle(reqId);
      answer(reqId, 'READ', async () => {
        const buffer = Buffer.allocUnsafe(length);
        const { bytesRead } = await entry.file.read(buffer, 0, length, offset);
        if (bytesRead === 0) sftp.status(reqId, STATUS_CODE.EOF);
        else sftp.data(reqId, buffer.subarray(0, bytesRead));
      });
    })
    .on('WRITE', (reqId, handle, offset, data) => {
      const entry = lookup(handle);
      if (entry?.kind !== 'file') return badHandle(reqId);
      answer(reqId, 'WRITE', async () => {
        await entry.file.write(data, 0, data.length, offset);
        sftp.status(reqId, STATUS_CODE.OK);
      });
    })
    .on('FSTAT', (reqId, handle) => {
      const entry = lookup(handle);
      if (entry?.kind !== 'file') return badHandle(reqId);
      answer(reqId, 'FSTAT', async () => sftp.attrs(reqId, attributesOf(await entry.file.stat())));
    })
    .on('FSETSTAT', (reqId, handle) => {
      if (lookup(handle) === undefined) return badHandle(reqId);
      sftp.status(reqId, STATUS_CODE.OK);
    })
    .on('SETSTAT', (reqId) => sftp.status(reqId, STATUS_CODE.OK))
    .on('CLOSE', (reqId, handle) => {
      const entry = lookup(handle);
      if (entry === undefined) return badHandle(reqId);
      handles.delete(handle.readUInt32BE(0));
      answer(reqId, 'CLOSE', async () => {
        if (entry.kind === 'file') await entry.file.close();
        sftp.status(reqId, STATUS_CODE.OK);
      });
    })
    .on('OPENDIR', (reqId, path) =>
      answer(reqId, `OPENDIR ${path}`, async () => {
        const directory = served(root, path);
        if (!(await stat(directory)).isDirectory()) throw Object.assign(new Error(path), { code: 'ENOTDIR' });
        sftp.handle(reqId, register({ kind: 'dir', path: directory, listed: false }));
      }),
    )
    .on('READDIR', (reqId, handle) => {
      const entry = lookup(handle);
      if (entry?.kind !== 'dir') return badHandle(reqId);
      if (entry.listed) return sftp.status(reqId, STATUS_CODE.EOF);
      entry.listed = true;
      answer(reqId, 'READDIR', async () => {
        const names = await readdir(entry.path);
        const entries = await Promise.all(
          names.map(async (filename) => {
            const attrs = attributesOf(await stat(join(entry.path, filename)));
            return { filename, longname: filename, attrs };
          }),
        );
        if (entries.length === 0) sftp.status(reqId, STATUS_CODE.EOF);
        else sftp.name(reqId, entries);
      });
    })
    .on('STAT', (reqId, path) =>
      answer(reqId, `STAT ${path}`, async () =>
        sftp.attrs(reqId, attributesOf(await stat(served(root, path)))),
      ),
    )
    .on('LSTAT', (reqId, path) =>
      answer(reqId, `LSTAT ${path}`, async () =>
        sftp.attrs(reqId, attributesOf(await stat(served(root, path)))),
      ),
    )
    .on('REALPATH', (reqId, path) => {
      const filename = posix.resolve('/', path);
      sftp.name(reqId, [
        { filename, longname: filename, attrs: { mode: 0, uid: 0, gid: 0, size: 0, atime: 0, mtime: 0 } },
      ]);
    })
    .on('MKDIR', (reqId, path) =>
      answer(reqId, `MKDIR ${path}`, async () => {
        await mkdir(served(root, path));
        sftp.status(reqId, STATUS_CODE.OK);
      }),
    )
    .on('RMDIR', (reqId, path) =>
      answer(reqId, `RMDIR ${path}`, async () => {
        await rmdir(served(root, path));
        sftp.status(reqId, STATUS_CODE.OK);
      }),
    )
    .on('REMOVE', (reqId, path) =>
      answer(reqId, `REMOVE ${path}`, async () => {
        await rm(served(root, path));
        sftp.status(reqId, STATUS_CODE.OK);
      }),
    )
    .on('RENAME', (reqId, from, to) =>
      answer(reqId, `RENAME ${from}`, async () => {
        await rename(served(root, from), served(root, to));
        sftp.status(reqId, STATUS_CODE.OK);
      }),
    )
    .on('close', () => {
      for (const entry of handles.values())
        if (entry.kind === 'file') void entry.file.close().catch(() => {});
      handles.clear();
    });
}

/**
 * Starts the server and resolves once it listens.
 *
 * @example
 * const server = await startSftpServer({ root: dir, users: [{ username: 'test', password: 'test' }] });
 * // sftp -P ${server.port} test@127.0.0.1
 * await server.stop();
 */
export async function startSftpServer(options: SftpServerOptions): Promise<SftpServer> {
  if (options.users.length === 0) throw new TypeError('startSftpServer: at least one user is needed');
  const log = options.log ?? (() => {});
  const root = options.root;
  await mkdir(root, { recursive: true });
  const hostKey = options.hostKey ?? generateHostKey();
  const parsedHostKey = utils.parseKey(hostKey);
  if (parsedHostKey instanceof Error)
    throw new TypeError(`startSftpServer: hostKey: ${parsedHostKey.message}`);
  const hostPublic = Array.isArray(parsedHostKey) ? parsedHostKey[0] : parsedHostKey;
  if (hostPublic === undefined) throw new TypeError('startSftpServer: hostKey holds no key');
  const connections = new Set<Connection>();

  const server = new Server({ hostKeys: [hostKey] }, (client) => {
    connections.add(client);
    // Replies go out at once: a reply held for the client's delayed ACK stalls every request behind it.
    // (ssh2's Connection has this method; its type declarations leave it out.)
    (client as Connection & { setNoDelay(noDelay: boolean): void }).setNoDelay(true);
    client
      .on('authentication', (ctx) => authenticate(ctx, options.users))
      .on('ready', () => {
        client.on('session', (accept) => {
          accept().on('sftp', (acceptSftp) => serveSession(acceptSftp(), root, log));
        });
      })
      .on('error', (error) => log(`sftp: connection error: ${error.message}`))
      .on('close', () => connections.delete(client));
  });
  const host = options.host ?? '127.0.0.1';
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
  let stopping: Promise<void> | undefined;
  return {
    host,
    port,
    root,
    hostPublicKey: `${hostPublic.type} ${hostPublic.getPublicSSH().toString('base64')}`,
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        for (const client of connections) client.end();
        server.close(() => resolve());
      });
      return stopping;
    },
  };
}
