import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2, { Client, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SftpServer, startSftpServer } from '../../../localstack/sftp/index.ts';
import { type LocalStack, startLocalStack } from '../../../localstack/stack.ts';

// The SFTP server is the stack's own part (not behind the edge), so these tests always start one.
let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({ port: 0 });
});

afterAll(async () => {
  await stack?.stop();
});

/** Opens an SFTP session with `config`, runs `work`, and closes the connection whatever happens. */
async function withSftp<T>(config: ConnectConfig, work: (sftp: SFTPWrapper) => Promise<T>): Promise<T> {
  const client = new Client();
  try {
    const sftp = await new Promise<SFTPWrapper>((resolve, reject) => {
      client
        .once('ready', () => client.sftp((error, session) => (error ? reject(error) : resolve(session))))
        .once('error', reject)
        .connect(config);
    });
    return await work(sftp);
  } finally {
    client.end();
  }
}

function call<T>(run: (done: (error: Error | null | undefined, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) =>
    run((error, value) => (error ? reject(error) : resolve(value as T))),
  );
}

function endpoint(): ConnectConfig {
  const sftp = stack.sftp;
  if (sftp === undefined) throw new Error('the stack runs no SFTP server');
  return { host: sftp.host, port: sftp.port, username: sftp.username, password: sftp.password };
}

describe("the stack's SFTP server", () => {
  it('hands out its address and account in the stack environment', () => {
    // Assess
    expect(stack.sftp).toMatchObject({ host: '127.0.0.1', username: 'test', password: 'test' });
    expect(stack.env).toMatchObject({ SFTP_HOST: '127.0.0.1', SFTP_PORT: String(stack.sftp?.port) });
  });

  it('serves its directory: a dropped file is listed and read, an uploaded one lands on disk', async () => {
    // Prepare
    const root = stack.sftp?.root ?? '';
    await writeFile(join(root, 'members.csv'), 'id,name\n1,Ada\n');

    // Act
    const { names, text } = await withSftp(endpoint(), async (sftp) => {
      await call<void>((done) => sftp.mkdir('/outbound', done));
      await call<void>((done) => sftp.writeFile('/outbound/report.txt', 'sent', done));
      const list = await call<ssh2.FileEntryWithStats[]>((done) => sftp.readdir('/', done));
      const body = await call<Buffer>((done) => sftp.readFile('/members.csv', done));
      return { names: list.map((entry) => entry.filename).sort(), text: body.toString('utf8') };
    });

    // Assess
    expect(names).toEqual(['members.csv', 'outbound']);
    expect(text).toBe('id,name\n1,Ada\n');
    expect(await readFile(join(root, 'outbound', 'report.txt'), 'utf8')).toBe('sent');
  });

  it('keeps every path inside its directory', async () => {
    // Prepare
    const root = stack.sftp?.root ?? '';
    await writeFile(join(root, 'inside.txt'), 'inside');

    // Act
    const text = await withSftp(endpoint(), (sftp) =>
      call<Buffer>((done) => sftp.readFile('/../../inside.txt', done)),
    );

    // Assess
    expect(text.toString('utf8')).toBe('inside');
  });

  it('answers a missing file with SFTP NO_SUCH_FILE', async () => {
    // Act
    const failure = await withSftp(endpoint(), (sftp) =>
      call<Buffer>((done) => sftp.readFile('/absent.csv', done)).catch((error: unknown) => error),
    );

    // Assess
    expect(failure).toMatchObject({ code: ssh2.utils.sftp.STATUS_CODE.NO_SUCH_FILE });
  });

  it('refuses a wrong password', async () => {
    // Act
    const failure = await withSftp({ ...endpoint(), password: 'wrong' }, async () => 'connected').catch(
      (error: unknown) => error,
    );

    // Assess
    expect(failure).toMatchObject({ level: 'client-authentication' });
  });
});

describe('an SFTP server with key authentication', () => {
  let root: string;
  let server: SftpServer;
  const keys = ssh2.utils.generateKeyPairSync('ecdsa', { bits: 256 });
  const other = ssh2.utils.generateKeyPairSync('ecdsa', { bits: 256 });

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'sftp-keys-'));
    await writeFile(join(root, 'a.txt'), 'key auth');
    server = await startSftpServer({ root, users: [{ username: 'partner', authorizedKeys: [keys.public] }] });
  });

  afterAll(async () => {
    await server?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('accepts the authorized key and refuses another', async () => {
    // Prepare
    const config = { host: server.host, port: server.port, username: 'partner' };

    // Act
    const text = await withSftp({ ...config, privateKey: keys.private }, (sftp) =>
      call<Buffer>((done) => sftp.readFile('/a.txt', done)),
    );
    const refused = await withSftp({ ...config, privateKey: other.private }, async () => 'connected').catch(
      (error: unknown) => error,
    );

    // Assess
    expect(text.toString('utf8')).toBe('key auth');
    expect(refused).toMatchObject({ level: 'client-authentication' });
  });
});
