import { describe, expect, it } from 'vitest';
import { resolveSftpSettings, sftpFailure } from '../../../handlers/shared/sftp.ts';

const ENV = {
  SFTP_HOST: 'sftp.local',
  SFTP_PORT: '2222',
  SFTP_USERNAME: 'env-user',
  SFTP_PASSWORD: 'env-pass',
};
const secrets: Record<string, string> = {
  'sftp/partner': JSON.stringify({ host: 'sftp.partner.example', username: 'partner', password: 's3cret' }),
  'sftp/broken': 'not json',
};
const readSecret = async (id: string): Promise<string> => {
  const value = secrets[id];
  if (value === undefined) throw new Error(`no secret ${id}`);
  return value;
};

describe('SFTP connection settings', () => {
  it('take the secret, then the input over it, then the environment for what both leave out', async () => {
    // Act
    const fromSecret = await resolveSftpSettings({ secretId: 'sftp/partner' }, ENV, readSecret);
    const overridden = await resolveSftpSettings({ secretId: 'sftp/partner', port: 22022 }, ENV, readSecret);

    // Assess
    expect(fromSecret).toEqual({
      host: 'sftp.partner.example',
      port: 2222,
      username: 'partner',
      password: 's3cret',
    });
    expect(overridden.port).toBe(22022);
  });

  it('come from the environment alone when the input names none (the local stack)', async () => {
    // Act
    const settings = await resolveSftpSettings(undefined, ENV, readSecret);

    // Assess
    expect(settings).toEqual({ host: 'sftp.local', port: 2222, username: 'env-user', password: 'env-pass' });
  });

  it('treat an empty secretId as none, as the local variables file gives it', async () => {
    // Act
    const settings = await resolveSftpSettings({ secretId: '' }, ENV, readSecret);

    // Assess
    expect(settings.host).toBe('sftp.local');
  });

  it.each([
    [
      { host: 'h', username: 'u', password: 'p', port: 70000 },
      'SFTP port must be an integer from 1 to 65535, got 70000',
    ],
    [{ username: 'u', password: 'p' }, 'no SFTP host: set connection.host, its secret or SFTP_HOST'],
    [{ host: 'h', password: 'p' }, 'no SFTP username: set connection.username, its secret or SFTP_USERNAME'],
    [{ host: 'h', username: 'u' }, "no password or private key for SFTP user 'u' on h"],
    [{ secretId: 'sftp/broken' }, "secret 'sftp/broken' is not a JSON object of SFTP settings"],
    ['h:22', 'connection must be an object'],
  ])('refuse %j as Sftp.InvalidSettings: %s', async (connection, message) => {
    // Act
    const failure = await resolveSftpSettings(connection, {}, readSecret).catch((error: unknown) => error);

    // Assess
    expect(failure).toMatchObject({ name: 'Sftp.InvalidSettings', message });
  });
});

describe('sftpFailure', () => {
  const settings = { host: 'h', port: 22, username: 'u', password: 'p' };

  it.each([
    [
      Object.assign(new Error('All configured authentication methods failed'), {
        level: 'client-authentication',
      }),
      'Sftp.AuthenticationFailed',
    ],
    [Object.assign(new Error('No such file'), { code: 2 }), 'Sftp.FileNotFound'],
    [Object.assign(new Error('Permission denied'), { code: 3 }), 'Sftp.PermissionDenied'],
    [Object.assign(new Error('Failure'), { code: 4 }), 'Sftp.Error'],
    [Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'Sftp.ConnectionFailed'],
  ])('names %s as %s', (error, name) => {
    // Act
    const named = sftpFailure(error, '/inbound/a.csv', settings);

    // Assess
    expect(named.name).toBe(name);
    expect(named.cause).toBe(error);
  });
});
