import { describe, expect, it } from 'vitest';
import { parseTaskToken, VirtualClock } from '../../../router/asl/index.ts';
import type { JsonValue } from '../../../router/asl/types.ts';
import { readTaskTokenSecrets, TaskTokenKeyring } from '../../../router/security/index.ts';
import { cloudEventFactory, kinesisEventFactory, kinesisRecordFactory } from '../../support/records.ts';
import { inMemoryRouter } from '../../support/router.ts';
import { SecretVersions } from './secretVersions.ts';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:router-task-token-AbCdEf';
const T0 = Date.parse('2026-03-01T00:00:00Z');
const A = 'a'.repeat(48);
const B = 'b'.repeat(48);
const C = 'c'.repeat(48);
const HOUR = 3_600_000;

const GRAPH = JSON.stringify({
  StartAt: 'Approve',
  States: {
    Approve: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: 'approver', Payload: { 'token.$': '$$.Task.Token' } },
      End: true,
    },
  },
});

async function rotate(secret: SecretVersions, version: string, text: string): Promise<void> {
  const current = [...secret.versions].find(([, v]) => v.labels.has('AWSCURRENT'))?.[0] ?? '';
  secret.startRotation(version);
  await secret.putPending(ARN, version, text);
  await secret.promote(ARN, version, current);
}

function signedWith(secret: string, token: string): boolean {
  return !('invalid' in parseTaskToken(new TextEncoder().encode(secret), token));
}

describe('a warm router across rotations of the task-token secret', () => {
  it('signs with the new version within the hour, also in graphs it compiled before the rotation', async () => {
    // Prepare: a router whose graph is compiled and cached, signing with A
    const secret = new SecretVersions(ARN, A);
    let now = T0;
    const keyring = new TaskTokenKeyring(await readTaskTokenSecrets(ARN, secret.reader), {
      reload: () => readTaskTokenSecrets(ARN, secret.reader),
      now: () => now,
    });
    const tokens: string[] = [];
    const r = inMemoryRouter(
      {
        approver: (payload: JsonValue) => {
          if (typeof payload === 'object' && payload !== null && !Array.isArray(payload)) {
            if (typeof payload.token === 'string') tokens.push(payload.token);
          }
          return null;
        },
      },
      {},
      new VirtualClock(T0),
      { taskTokens: keyring },
    );
    await r.publish(GRAPH, { engine: 'orders' });
    const order = (seq: number) =>
      r.router.processBatch(
        kinesisEventFactory([kinesisRecordFactory(cloudEventFactory({ engine: 'orders', data: {} }, seq))]),
      );
    await order(1);

    // Act: Secrets Manager rotates; an hour later the router hands out two more tokens; it rotates again
    await rotate(secret, 'v2', B);
    now += HOUR;
    await order(2);
    await order(3);
    await rotate(secret, 'v3', C);
    const cold = new TaskTokenKeyring(await readTaskTokenSecrets(ARN, secret.reader));
    const [first = '', meanwhile = '', after = ''] = tokens;

    // Assess: the token signed when the hour ran out still uses A (then AWSPREVIOUS); the next one uses B,
    // which a router started after the second rotation still accepts
    expect(signedWith(A, first)).toBe(true);
    expect(signedWith(A, meanwhile)).toBe(true);
    expect(signedWith(B, after)).toBe(true);
    expect(await cold.verify(after)).not.toHaveProperty('invalid');
    expect(await cold.verify(first)).toHaveProperty('invalid');
  });
});
