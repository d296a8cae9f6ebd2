/**
 * End to end through the router: seed 001's DemoFlow, published from engines/demo-flow.hjson with the
 * local variables, triggered by a `demo.file.arrived` event on the stream, fetching the partner's file
 * from the stack's SFTP server into S3, handing its rows on in chunks to the loading step, then recording
 * and counting the import. The steps are the demo domain's own handlers, served by the local Lambda host
 * from the domain's index, against the stack's S3, Redshift Data (PGlite), Secrets Manager and SFTP.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { beforeAll, describe, expect, it } from 'vitest';
import { DOMAINS, domainStepFunctions } from '../../../handlers/domains.ts';
import { query } from '../../../handlers/shared/sql.ts';
import { ensureBucket } from '../../../localstack/bootstrap.ts';
import { createRedshiftDataEmulator } from '../../../localstack/redshift/index.ts';
import { createSecretsManagerEmulator } from '../../../localstack/secretsmanager/index.ts';
import { parseVariables } from '../../../router/asl/index.ts';
import { clientConfig, s3Client } from '../../../router/aws/clients.ts';
import { useRouterStack } from '../support/routerStack.ts';

const ROOT = new URL('../../../', import.meta.url).pathname;
const quiet = { info: () => undefined, error: () => undefined };
const redshift = createRedshiftDataEmulator({ startNow: true, log: quiet });
/** The stage variables, read in `beforeAll`. */
let variables: Readonly<Record<string, string | number | boolean>> = {};

const runtime = useRouterStack({
  functions: Object.fromEntries(
    domainStepFunctions(DOMAINS).map((step) => [
      step.name,
      { entry: step.entry, timeoutSeconds: step.timeoutSeconds ?? 30 },
    ]),
  ),
  sweepEveryMs: false,
});

/** A members file of `count` rows, one quoted field with a comma in it. */
function membersFile(count: number): string {
  const rows = Array.from(
    { length: count },
    (_, i) => `m-${i + 1},"Member, ${i + 1}",${i % 2 === 0 ? 'basic' : 'plus'}`,
  );
  return `member_id,name,plan\n${rows.join('\n')}\n`;
}

function arrived(file: string, id: string): Record<string, unknown> {
  return {
    specversion: '1.0',
    id,
    source: 'demo.domain',
    type: 'demo.file.arrived',
    subject: file,
    data: { file },
  };
}

beforeAll(async () => {
  const rt = runtime();
  rt.stack.register(redshift);
  rt.stack.register(createSecretsManagerEmulator());
  // The hosted steps run in this process and build their clients (and SFTP settings) from its environment.
  Object.assign(process.env, rt.env);
  ({ variables } = parseVariables(await readFile(join(ROOT, 'engines/vars/local.hjson'), 'utf8')));
  await ensureBucket(s3Client(rt.stack.aws), String(variables.InboundBucket), rt.stack.aws.region);
  await rt.publish({
    source: await readFile(join(ROOT, 'engines/demo-flow.hjson'), 'utf8'),
    file: 'demo-flow.hjson',
    variables,
  });
  await redshift.ready();
}, 120_000);

describe('DemoFlow (seed 001) through the router', () => {
  it('fetches the file over SFTP into S3 and loads every row in chunks, once, whatever the redelivery', async () => {
    // Prepare: 1,203 rows is three chunks of the stream task's 500.
    const rt = runtime();
    const root = rt.stack.sftp?.root;
    if (root === undefined) throw new Error('the stack runs no SFTP server');
    const body = membersFile(1_203);
    await mkdir(join(root, 'inbound'), { recursive: true });
    await writeFile(join(root, 'inbound', 'members-e2e.csv'), body);

    // Act: the event, then the same event again (a producer's retry).
    await rt.put([{ partitionKey: 'members-e2e.csv', data: arrived('members-e2e.csv', 'file-1') }]);
    await rt.waitForIdle(120_000);
    await rt.put([{ partitionKey: 'members-e2e.csv', data: arrived('members-e2e.csv', 'file-1') }]);
    await rt.waitForIdle(120_000);

    // Assess
    const execution = await rt.execution('demo-flow', 'demo.domain#file-1');
    expect(execution?.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution?.output ?? 'null')).toEqual({
      file: 'members-e2e.csv',
      bytes: Buffer.byteLength(body),
      rows: 1_203,
      imports: 1,
    });
    const head = await s3Client(rt.stack.aws).send(
      new HeadObjectCommand({ Bucket: 'router-engines', Key: 'inbound/members-e2e.csv' }),
    );
    expect(head.ContentLength).toBe(Buffer.byteLength(body));
    const [loaded] = await query(
      "select count(*) as loaded, min(line) as first, max(line) as last from demo_members where file_key = 'inbound/members-e2e.csv'",
    );
    expect(loaded).toEqual({ loaded: 1_203, first: 2, last: 1_204 });
    const [member] = await query(
      "select data from demo_members where file_key = 'inbound/members-e2e.csv' and line = 1204",
    );
    expect(JSON.parse(String(member?.data))).toEqual({
      member_id: 'm-1203',
      name: 'Member, 1203',
      plan: 'basic',
    });
    expect(rt.batches.reduce((sum, batch) => sum + batch.duplicates, 0)).toBe(1);
  }, 300_000);

  it('catches a refused SFTP login (a secret with a stale password) into DemoFlow.SftpAccessRefused', async () => {
    // Prepare: the same graph published for a stage whose secret holds a password the server refuses.
    const rt = runtime();
    const sftp = rt.stack.sftp;
    if (sftp === undefined) throw new Error('the stack runs no SFTP server');
    await new SecretsManagerClient(clientConfig(rt.stack.aws, 'secretsmanager')).send(
      new CreateSecretCommand({
        Name: 'sftp/rotated',
        SecretString: JSON.stringify({
          host: sftp.host,
          port: sftp.port,
          username: sftp.username,
          password: 'old',
        }),
      }),
    );
    await rt.publish({
      source: await readFile(join(ROOT, 'engines/demo-flow.hjson'), 'utf8'),
      file: 'demo-flow.hjson',
      engine: 'demo-flow-rotated',
      variables: { ...variables, SftpSecret: 'sftp/rotated' },
    });

    // Act
    await rt.put([
      {
        partitionKey: 'rotated',
        data: { ...arrived('members-e2e.csv', 'file-2'), engine: 'demo-flow-rotated' },
      },
    ]);
    await rt.waitForIdle(120_000);

    // Assess
    const execution = await rt.execution('demo-flow-rotated', 'demo.domain#file-2');
    expect(execution).toMatchObject({ status: 'FAILED', error: 'DemoFlow.SftpAccessRefused' });
    expect(execution?.cause).toContain('refused the login');
  }, 300_000);
});
