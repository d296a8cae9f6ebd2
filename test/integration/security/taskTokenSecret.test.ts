/**
 * The task-token secret in Secrets Manager, end to end on the embedded stack: the router's cold start
 * reads it with the real `@aws-sdk/client-secrets-manager` from the stack's Secrets Manager, RotateSecret
 * drives the rotation function (`handlers/ops/rotate-task-token-secret.ts`, served by the local Lambda
 * host) through its four steps, and a token the router handed out before the rotation still completes its
 * task after it, while a cold router started after the rotation accepts it as AWSPREVIOUS.
 */
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { rotationHandler } from '../../../handlers/ops/rotate-task-token-secret.ts';
import { createSecretsManagerEmulator } from '../../../localstack/secretsmanager/index.ts';
import { clientConfig } from '../../../router/aws/clients.ts';
import { SettingError } from '../../../router/config.ts';
import { loadRouterDeps } from '../../../router/deps.ts';
import type { ExecutionRecord } from '../../../router/executions/ExecutionStore.ts';
import { CountingMetrics, silentLogger } from '../../../router/observability/telemetry.ts';
import {
  lazySecretsManagerReader,
  type RotationEvent,
  readTaskTokenSecrets,
  TaskTokenSecretError,
} from '../../../router/security/index.ts';
import { StepLog } from '../../fixtures/steps/recorder.ts';
import { runRouterCli } from '../../support/cli.ts';
import { cloudEvent, stepArn } from '../router/graphs.ts';
import { type RouterStack, useRouterStack } from '../support/routerStack.ts';

const ROTATION_FUNCTION = 'rotate-task-token-secret';
const SECRET_NAME = 'router/task-token';

/** What Secrets Manager's labels looked like after each step of the rotation function. */
interface StepSeen {
  readonly step: string;
  readonly stages: Readonly<Record<string, readonly string[]>>;
  readonly pendingLength: number | undefined;
}

const secretsManager = createSecretsManagerEmulator({ log: { info() {}, error() {} } });
const log = new StepLog();
const tokens: string[] = [];
const stepsSeen: StepSeen[] = [];
let secretArn = '';
let client: SecretsManagerClient | undefined;
let rotate: ((event: RotationEvent) => Promise<void>) | undefined;

function secrets(rt: RouterStack): SecretsManagerClient {
  client ??= new SecretsManagerClient(clientConfig(rt.stack.aws, 'secretsmanager'));
  return client;
}

const runtime = useRouterStack({
  services: [secretsManager],
  functions: {
    approver: log.step('approver', (payload) => {
      tokens.push((payload as { token: string }).token);
      return null;
    }),
    ship: log.step('ship'),
    // The rotation function as deployed, over a client pointing at the stack; each step's outcome is noted.
    [ROTATION_FUNCTION]: async (event) => {
      const sm = secrets(runtime());
      rotate ??= rotationHandler(sm);
      const step = event as RotationEvent;
      await rotate(step);
      const described = await sm.send(new DescribeSecretCommand({ SecretId: step.SecretId }));
      const pending = await sm
        .send(
          new GetSecretValueCommand({
            SecretId: step.SecretId,
            VersionId: step.ClientRequestToken,
            VersionStage: 'AWSPENDING',
          }),
        )
        .then((value) => value.SecretString?.length)
        .catch(() => undefined);
      stepsSeen.push({ step: step.Step, stages: described.VersionIdsToStages ?? {}, pendingLength: pending });
      return null;
    },
  },
  // Outside the local stage the router must have a secret; this one comes from Secrets Manager.
  settings: { ROUTER_STAGE: 'e2e' },
  async prepare(aws) {
    const sm = new SecretsManagerClient(clientConfig(aws, 'secretsmanager'));
    const { RandomPassword } = await sm.send(
      new GetRandomPasswordCommand({ PasswordLength: 48, ExcludePunctuation: true }),
    );
    const created = await sm.send(
      new CreateSecretCommand({ Name: SECRET_NAME, SecretString: RandomPassword }),
    );
    sm.destroy();
    secretArn = created.ARN ?? '';
    return { ROUTER_TASK_TOKEN_SECRET_ARN: secretArn };
  },
});

const GRAPH = JSON.stringify({
  StartAt: 'Approve',
  States: {
    Approve: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: 'approver', Payload: { 'token.$': '$$.Task.Token' } },
      ResultPath: '$.approval',
      Next: 'Ship',
    },
    Ship: { Type: 'Task', Resource: stepArn('ship'), ResultPath: '$.shipped', End: true },
  },
});

async function executionIn(
  rt: RouterStack,
  id: string,
  wanted: ExecutionRecord['status'],
  timeoutMs = 30_000,
): Promise<ExecutionRecord> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const record = await rt.execution('approvals', `shop/approvals#${id}`);
    if (record?.status === wanted) return record;
    if (Date.now() > deadline) throw new Error(`execution ${id} is ${record?.status}, not ${wanted}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Starts a rotation as Secrets Manager's schedule would, and waits until its four steps have run. */
async function rotateNow(rt: RouterStack): Promise<string> {
  const { VersionId } = await secrets(rt).send(
    new RotateSecretCommand({
      SecretId: secretArn,
      RotationLambdaARN: `arn:aws:lambda:us-east-1:000000000000:function:${ROTATION_FUNCTION}`,
      RotationRules: { AutomaticallyAfterDays: 30 },
    }),
  );
  await secretsManager.idle();
  return VersionId ?? '';
}

/** A router as the deployed handler builds it at cold start, from the same environment. */
function coldStart(rt: RouterStack, env: Record<string, string> = {}) {
  return loadRouterDeps({ ...rt.env, ...env }, { logger: silentLogger, metrics: new CountingMetrics() });
}

describe('the task-token secret in Secrets Manager', () => {
  it('is read at cold start through the real SDK client: AWSCURRENT, and no AWSPREVIOUS before a rotation', async () => {
    // Prepare
    const rt = runtime();
    const current = await secrets(rt).send(new GetSecretValueCommand({ SecretId: secretArn }));
    // Act
    const read = await readTaskTokenSecrets(secretArn, lazySecretsManagerReader(rt.stack.aws));
    // Assess
    expect(current.VersionStages).toEqual(['AWSCURRENT']);
    expect(read).toEqual({ current: current.SecretString, previous: [] });
    expect(read.current).toMatch(/^[A-Za-z0-9]{48}$/);
  });

  it('rotates in four steps, and a token handed out before the rotation completes its task after it', async () => {
    // Prepare: an execution parks on a token signed with the first version
    const rt = runtime();
    await rt.publish({ source: GRAPH, file: 'approvals.hjson', engine: 'approvals' });
    await rt.put([{ partitionKey: 'r1', data: cloudEvent('approvals', 'r1', {}) }]);
    await executionIn(rt, 'r1', 'WAITING');
    const before = tokens[0] ?? '';
    const first = await secrets(rt).send(new GetSecretValueCommand({ SecretId: secretArn }));

    // Act: rotate, then answer the old token from outside
    const version = await rotateNow(rt);
    const described = await secrets(rt).send(new DescribeSecretCommand({ SecretId: secretArn }));
    const cold = await coldStart(rt);
    const seenByCold = await cold.verifyTaskToken(before);
    const answered = await runRouterCli(['task', 'success', before, '--output', '{"approvedBy":"ops"}'], {
      env: rt.env,
    });
    const done = await executionIn(rt, 'r1', 'SUCCEEDED');

    // Assess: the four steps, each leaving the labels Secrets Manager documents
    const old = first.VersionId ?? '';
    expect(stepsSeen.map((s) => s.step)).toEqual(['createSecret', 'setSecret', 'testSecret', 'finishSecret']);
    for (const seen of stepsSeen.slice(0, 3)) {
      expect(seen.stages).toEqual({ [old]: ['AWSCURRENT'], [version]: ['AWSPENDING'] });
      expect(seen.pendingLength).toBe(48);
    }
    expect(stepsSeen[3]?.stages).toEqual({ [old]: ['AWSPREVIOUS'], [version]: ['AWSCURRENT', 'AWSPENDING'] });
    expect(described).toMatchObject({
      RotationEnabled: true,
      VersionIdsToStages: { [old]: ['AWSPREVIOUS'], [version]: ['AWSCURRENT'] },
    });
    expect(described.LastRotatedDate).toBeInstanceOf(Date);
    // a router started after the rotation signs with the new version and accepts the old token
    expect(seenByCold).toMatchObject({ executionId: done.executionId });
    expect(answered.code).toBe(0);
    expect(JSON.parse(done.output ?? 'null')).toMatchObject({
      approval: { approvedBy: 'ops' },
      shipped: { by: 'ship' },
    });
  }, 120_000);

  it('runs each step again without changing anything, as Secrets Manager may retry it', async () => {
    // Prepare
    const rt = runtime();
    const sm = secrets(rt);
    const labels =
      (await sm.send(new DescribeSecretCommand({ SecretId: secretArn }))).VersionIdsToStages ?? {};
    const current = Object.entries(labels).find(([, stages]) => stages.includes('AWSCURRENT'))?.[0] ?? '';
    const value = (await sm.send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString;
    const steps = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];
    // Act
    for (const Step of steps) {
      await rotationHandler(sm)({ Step, SecretId: secretArn, ClientRequestToken: current });
    }
    // Assess
    const after = await sm.send(new DescribeSecretCommand({ SecretId: secretArn }));
    expect(after.VersionIdsToStages).toEqual(labels);
    expect((await sm.send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString).toBe(value);
  });

  it('forgets the version two rotations back: a cold router then refuses its tokens', async () => {
    // Prepare
    const rt = runtime();
    const before = tokens[0] ?? '';
    // Act
    await rotateNow(rt);
    const cold = await coldStart(rt);
    const verdict = await cold.verifyTaskToken(before);
    // Assess
    expect(verdict).toEqual({
      invalid: 'the token was not issued by this deployment (its signature does not match)',
    });
  });

  it('refuses to start without the secret when the stage needs one, naming what is missing', async () => {
    // Prepare
    const rt = runtime();
    const sm = secrets(rt);
    const { ARN: gone = '' } = await sm.send(
      new CreateSecretCommand({ Name: 'router/deleted', SecretString: 'x'.repeat(48) }),
    );
    await sm.send(new DeleteSecretCommand({ SecretId: gone }));
    const { ARN: short = '' } = await sm.send(
      new CreateSecretCommand({ Name: 'router/short', SecretString: 'too-short' }),
    );
    // Act
    const unset = coldStart(rt, { ROUTER_TASK_TOKEN_SECRET_ARN: '' });
    const missing = coldStart(rt, { ROUTER_TASK_TOKEN_SECRET_ARN: gone });
    const tooShort = coldStart(rt, { ROUTER_TASK_TOKEN_SECRET_ARN: short });
    // Assess
    await expect(unset).rejects.toBeInstanceOf(SettingError);
    await expect(unset).rejects.toThrow(/ROUTER_TASK_TOKEN_SECRET_ARN is not set: stage 'e2e'/);
    await expect(missing).rejects.toBeInstanceOf(TaskTokenSecretError);
    await expect(missing).rejects.toThrow(`task-token secret ${gone} has no AWSCURRENT version`);
    await expect(tooShort).rejects.toThrow(`task-token secret ${short} (AWSCURRENT, version`);
  });

  it('leaves a rotation whose function fails with the new version pending, and AWSCURRENT where it was', async () => {
    // Prepare
    const rt = runtime();
    const sm = secrets(rt);
    const { ARN: unrotatable = '' } = await sm.send(
      new CreateSecretCommand({ Name: 'router/unrotatable', SecretString: 'y'.repeat(48) }),
    );
    const seenBefore = stepsSeen.length;
    // Act: the rotation names a function the Lambda host does not serve
    const rotation = await sm.send(
      new RotateSecretCommand({
        SecretId: unrotatable,
        RotationLambdaARN: 'arn:aws:lambda:us-east-1:000000000000:function:no-such-function',
      }),
    );
    await secretsManager.idle();
    const again = await sm.send(new RotateSecretCommand({ SecretId: unrotatable })).then(
      () => 'started',
      (error: unknown) => String(error),
    );
    // Assess
    const described = await sm.send(new DescribeSecretCommand({ SecretId: unrotatable }));
    expect(Object.values(described.VersionIdsToStages ?? {})).toEqual([['AWSCURRENT'], ['AWSPENDING']]);
    expect(described.VersionIdsToStages?.[rotation.VersionId ?? '']).toEqual(['AWSPENDING']);
    expect(again).toMatch(/InvalidRequestException: A previous rotation isn't complete/);
    expect(stepsSeen.length).toBe(seenBefore);
  });
});
