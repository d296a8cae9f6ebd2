import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { beforeAll, describe, expect, it } from 'vitest';
import { handler as fetchFile } from '../../../handlers/demo-flows/tasks/fetch-sftp-file.ts';
import { ensureBucket } from '../../../localstack/bootstrap.ts';
import { createSecretsManagerEmulator } from '../../../localstack/secretsmanager/index.ts';
import { clientConfig, s3Client } from '../../../router/aws/clients.ts';
import { useLocalStack } from '../support/stack.ts';

// The SFTP server is part of the embedded stack, so these tests always start one.
const stack = useLocalStack({ services: [createSecretsManagerEmulator()] });
const BUCKET = 'demo-inbound';
const MiB = 1024 * 1024;
const ROOT = new URL('../../../', import.meta.url).pathname;

function sftpRoot(): string {
  const root = stack().embedded?.sftp?.root;
  if (root === undefined) throw new Error('the stack runs no SFTP server');
  return root;
}

/** Connection settings given in the input, as a flow without a secret passes them. */
function connection(password = 'test'): Record<string, unknown> {
  const sftp = stack().embedded?.sftp;
  return { host: sftp?.host, port: sftp?.port, username: sftp?.username, password };
}

async function sha256(stream: AsyncIterable<Uint8Array>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk);
  return hash.digest('hex');
}

/** Writes `bytes` of varied (not all-zero) content, 1 MiB at a time. */
async function writeLargeFile(path: string, bytes: number): Promise<void> {
  const file = await open(path, 'w');
  try {
    const block = Buffer.alloc(MiB);
    for (let written = 0; written < bytes; written += MiB) {
      for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((written + i) >>> 0, i);
      await file.write(block, 0, Math.min(MiB, bytes - written));
    }
  } finally {
    await file.close();
  }
}

function runChild(job: unknown): Promise<{
  result: { bytes: number; parts: number };
  seconds: number;
  growthMiB: number;
  baselineMiB: number;
  peakMiB: number;
}> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--openssl-legacy-provider',
        '--import',
        'tsx',
        'test/integration/demo-flows/fetchProcess.ts',
        JSON.stringify(job),
      ],
      { cwd: ROOT, env: { ...process.env, ...stack().env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) reject(new Error(`fetch process exited with ${code}: ${err}`));
      else resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '{}'));
    });
  });
}

beforeAll(async () => {
  Object.assign(process.env, stack().env);
  await ensureBucket(s3Client(stack().aws), BUCKET, stack().aws.region);
});

describe('demo-fetch-sftp-file', () => {
  it('copies a small file into one object, byte for byte', async () => {
    // Prepare
    await writeFile(join(sftpRoot(), 'small.csv'), 'id,name\n1,Ada\n');

    // Act
    const result = await fetchFile({
      path: '/small.csv',
      bucket: BUCKET,
      key: 'in/small.csv',
      connection: connection(),
    });
    const object = await s3Client(stack().aws).send(
      new GetObjectCommand({ Bucket: BUCKET, Key: 'in/small.csv' }),
    );

    // Assess
    expect(result).toEqual({ path: '/small.csv', bucket: BUCKET, key: 'in/small.csv', bytes: 14, parts: 0 });
    expect(await object.Body?.transformToString()).toBe('id,name\n1,Ada\n');
  });

  it('takes its connection from the SFTP_* variables when the input names none', async () => {
    // Prepare
    await writeFile(join(sftpRoot(), 'env.csv'), 'a\n1\n');

    // Act
    const result = await fetchFile({ path: '/env.csv', bucket: BUCKET, key: 'in/env.csv' });

    // Assess
    expect(result).toMatchObject({ bytes: 4 });
  });

  it('reads its connection from the Secrets Manager secret its input names, as deployed', async () => {
    // Prepare
    await writeFile(join(sftpRoot(), 'secret.csv'), 'a\n1\n2\n');
    const secrets = new SecretsManagerClient(clientConfig(stack().aws, 'secretsmanager'));
    await secrets.send(
      new CreateSecretCommand({ Name: 'sftp/partner-drop', SecretString: JSON.stringify(connection()) }),
    );
    await secrets.send(
      new CreateSecretCommand({
        Name: 'sftp/stale',
        SecretString: JSON.stringify(connection('rotated-away')),
      }),
    );

    // Act
    const result = await fetchFile({
      path: '/secret.csv',
      bucket: BUCKET,
      key: 'in/secret.csv',
      connection: { secretId: 'sftp/partner-drop' },
    });
    const stale = await fetchFile({
      path: '/secret.csv',
      bucket: BUCKET,
      key: 'in/stale.csv',
      connection: { secretId: 'sftp/stale' },
    }).catch((error: unknown) => error);

    // Assess
    expect(result).toMatchObject({ bytes: 6 });
    expect(stale).toMatchObject({ name: 'Sftp.AuthenticationFailed' });
  });

  it('fails a wrong password with Sftp.AuthenticationFailed and a missing file with Sftp.FileNotFound', async () => {
    // Prepare
    await writeFile(join(sftpRoot(), 'there.csv'), 'x\n');

    // Act
    const refused = await fetchFile({
      path: '/there.csv',
      bucket: BUCKET,
      key: 'in/refused.csv',
      connection: connection('wrong'),
    }).catch((error: unknown) => error);
    const missing = await fetchFile({
      path: '/inbound/absent.csv',
      bucket: BUCKET,
      key: 'in/absent.csv',
      connection: connection(),
    }).catch((error: unknown) => error);

    // Assess
    expect(refused).toMatchObject({ name: 'Sftp.AuthenticationFailed' });
    expect(String((refused as Error).message)).toContain('refused the login');
    expect(missing).toMatchObject({ name: 'Sftp.FileNotFound' });
    expect(String((missing as Error).message)).toContain('/inbound/absent.csv does not exist');
  });

  it('connects only to the host key the settings pin', async () => {
    // Prepare
    await writeFile(join(sftpRoot(), 'pinned.csv'), 'a\n1\n');
    const publicKey = stack().embedded?.sftp?.hostPublicKey.split(' ')[1] ?? '';
    const pinned = createHash('sha256').update(Buffer.from(publicKey, 'base64')).digest('base64');
    const other = createHash('sha256').update('another host').digest('base64');
    const input = (hostKeySha256: string) => ({
      path: '/pinned.csv',
      bucket: BUCKET,
      key: 'in/pinned.csv',
      connection: { ...connection(), hostKeySha256 },
    });

    // Act
    const fetched = await fetchFile(input(pinned));
    const refused = await fetchFile(input(other)).catch((error: unknown) => error);

    // Assess
    expect(fetched).toMatchObject({ bytes: 4 });
    expect(refused).toMatchObject({ name: 'Sftp.ConnectionFailed' });
    expect(String((refused as Error).message)).toMatch(/verification failed/i);
  });

  it('fails an unreachable server with Sftp.ConnectionFailed', async () => {
    // Act
    const failure = await fetchFile({
      path: '/x.csv',
      bucket: BUCKET,
      key: 'in/x.csv',
      connection: { host: '127.0.0.1', port: 1, username: 'test', password: 'test' },
    }).catch((error: unknown) => error);

    // Assess
    expect(failure).toMatchObject({ name: 'Sftp.ConnectionFailed' });
  });

  it('moves a 200 MiB file with peak RSS growth under 64 MiB, multipart, intact', async () => {
    // Prepare
    const bytes = 200 * MiB;
    await writeLargeFile(join(sftpRoot(), 'large.bin'), bytes);
    await writeFile(join(sftpRoot(), 'warm.bin'), Buffer.alloc(6 * MiB, 1));
    const base = { bucket: BUCKET, connection: connection() };

    // Act
    const measured = await runChild({
      warmUp: { ...base, path: '/warm.bin', key: 'in/warm.bin' },
      run: { ...base, path: '/large.bin', key: 'in/large.bin' },
    });

    // Assess
    console.info(
      `fetch of 200 MiB: ${measured.seconds.toFixed(1)} s, RSS ${measured.baselineMiB.toFixed(0)} -> ${measured.peakMiB.toFixed(0)} MiB (+${measured.growthMiB.toFixed(1)} MiB)`,
    );
    expect(measured.result).toMatchObject({ bytes, parts: 25 });
    expect(measured.growthMiB).toBeLessThan(64);
    const head = await s3Client(stack().aws).send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: 'in/large.bin' }),
    );
    expect(head.ContentLength).toBe(bytes);
    const object = await s3Client(stack().aws).send(
      new GetObjectCommand({ Bucket: BUCKET, Key: 'in/large.bin' }),
    );
    const body = object.Body;
    if (!(body instanceof Readable)) throw new Error('no body');
    expect(await sha256(body)).toBe(await sha256(createReadStream(join(sftpRoot(), 'large.bin'))));
  }, 600_000);
});
