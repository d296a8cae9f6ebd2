/**
 * `npm run synth` as a user runs it: the real CDK CLI from the lockfile, on the real app in `infra/`, with
 * no AWS credentials, no instance metadata and no notices. The CLI refuses an app whose cloud assembly
 * schema is newer than it supports, so this also guards the pairing of `aws-cdk` with `aws-cdk-lib`.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOMAINS, domainStepFunctions } from '../../../handlers/domains.ts';

const run = promisify(execFile);

const STACK = 'KinesisEventRouter-dev';

interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

/** The environment of a machine with no AWS account: every credential source is emptied or pointed away. */
function offlineEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('AWS_') && !key.startsWith('CDK_')) env[key] = value;
  }
  return {
    ...env,
    AWS_CONFIG_FILE: join(home, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

describe('npm run synth (the CDK CLI, offline)', () => {
  let dir: string;
  let assets: string;
  let output: { stdout: string; stderr: string };
  let resources: Resource[];

  beforeAll(async () => {
    // Prepare: a fresh output directory, so no earlier cdk.out can stand in for this run.
    dir = await mkdtemp(join(tmpdir(), 'synth-'));
    const outDir = join(dir, 'cdk.out');

    // Act
    output = await run('npm', ['run', 'synth', '--', '--output', outDir], {
      cwd: process.cwd(),
      env: offlineEnv(dir),
      maxBuffer: 64 * 1024 * 1024,
    });
    const template = JSON.parse(await readFile(join(outDir, `${STACK}.template.json`), 'utf8')) as {
      Resources: Record<string, Resource>;
    };
    resources = Object.values(template.Resources);
    assets = outDir;
  }, 240_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const ofType = (type: string) => resources.filter((r) => r.Type === type);

  it('ships the JSONata library beside the router bundle, which has no node_modules', async () => {
    // Assess
    const router = ofType('AWS::Lambda::Function').find((f) => f.Properties?.Runtime === 'nodejs22.x');
    const assetPath = (router as { Metadata?: Record<string, string> } | undefined)?.Metadata?.[
      'aws:asset:path'
    ];
    expect(assetPath).toBeDefined();
    const shipped = await readFile(join(assets, String(assetPath), 'jsonata.js'), 'utf8');
    const installed = await readFile(join(process.cwd(), 'node_modules/jsonata/jsonata.js'), 'utf8');
    expect(shipped).toBe(installed);
  });

  it("deploys every step of every flow domain from the domain's index, tagged with its domain", () => {
    // Prepare
    const expected = domainStepFunctions(DOMAINS)
      .map((step) => step.name)
      .sort();

    // Assess
    const tagged = ofType('AWS::Lambda::Function')
      .filter((f) =>
        (f.Properties?.Tags as { Key: string; Value: string }[] | undefined)?.some(
          (tag) => tag.Key === 'router:domain' && tag.Value === 'demo',
        ),
      )
      .map((f) => String(f.Properties?.FunctionName))
      .sort();
    expect(tagged).toEqual(expected);
    const policies = JSON.stringify(ofType('AWS::IAM::Policy'));
    expect(policies).toContain('secretsmanager:GetSecretValue');
    expect(policies).toContain(':secret:sftp/*');
  });

  it('runs without a schema mismatch or a notice fetch', () => {
    // Assess
    expect(`${output.stdout}\n${output.stderr}`).not.toMatch(/not compatible|schema version mismatch/i);
    expect(output.stderr).not.toMatch(/NOTICES/);
  });

  it('creates the stream, encrypted', () => {
    // Assess
    const [stream] = ofType('AWS::Kinesis::Stream');
    expect(stream?.Properties?.StreamEncryption).toEqual({
      EncryptionType: 'KMS',
      KeyId: 'alias/aws/kinesis',
    });
  });

  it('runs the router on Node.js 22, arm64', () => {
    // Assess
    const router = ofType('AWS::Lambda::Function').find((f) =>
      String(f.Properties?.Description).startsWith('MessageEventRouter'),
    );
    expect(router?.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'] });
  });

  it('feeds the router from the stream with ReportBatchItemFailures and bisect', () => {
    // Assess
    const mappings = ofType('AWS::Lambda::EventSourceMapping');
    expect(mappings).toHaveLength(1);
    expect(mappings[0]?.Properties).toMatchObject({
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      StartingPosition: 'TRIM_HORIZON',
    });
  });

  it('expires finished executions by TTL; keeps engine versions, which are immutable', () => {
    // Assess
    const tables = ofType('AWS::DynamoDB::Table');
    expect(tables).toHaveLength(2);
    const withTtl = tables.filter((t) => t.Properties?.TimeToLiveSpecification !== undefined);
    expect(withTtl.map((t) => t.Properties?.TimeToLiveSpecification)).toEqual([
      { AttributeName: 'expiresAt', Enabled: true },
    ]);
  });

  it('encrypts every bucket, blocks public access and refuses plain HTTP', () => {
    // Assess
    const buckets = ofType('AWS::S3::Bucket');
    expect(buckets.length).toBeGreaterThanOrEqual(2);
    for (const bucket of buckets) {
      expect(bucket.Properties?.BucketEncryption).toBeDefined();
      expect(bucket.Properties?.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
    }
    const policies = ofType('AWS::S3::BucketPolicy');
    expect(policies).toHaveLength(buckets.length);
    for (const policy of policies) {
      expect(JSON.stringify(policy.Properties?.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    }
  });
});
