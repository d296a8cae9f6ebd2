/**
 * The steps' SFTP client: where the connection settings come from, one SFTP session per call, and the
 * failures a workflow must tell apart, each a named error its Retry and Catch can match:
 *
 * ```
 * Sftp.AuthenticationFailed  the server refused the account (wrong password or key): retrying will not help
 * Sftp.FileNotFound          no such file (yet): a late partner file is worth a few retries
 * Sftp.PermissionDenied      the account may not read the file
 * Sftp.ConnectionFailed      no answer, refused, or dropped: transient, retry with backoff
 * Sftp.InvalidSettings       the settings are incomplete: fix the input or the secret
 * ```
 *
 * Settings come from the task input's `connection` object; a `secretId` in it names a Secrets Manager
 * secret holding the same fields as JSON (what a deployment uses, so no password travels in an
 * execution's input or history); fields left out fall back to `SFTP_HOST`, `SFTP_PORT`, `SFTP_USERNAME`,
 * `SFTP_PASSWORD` (what the local stack sets).
 */
import { createHash } from 'node:crypto';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Client, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import { awsEnvironmentFromEnv, clientConfig } from '../../router/aws/index.ts';

/** A failure of the SFTP source, named for Retry/Catch. */
export class SftpError extends Error {
  override name = 'Sftp.Error';
}
/** The server refused the account. */
export class SftpAuthenticationError extends SftpError {
  override name = 'Sftp.AuthenticationFailed';
}
/** The file (or a directory on its path) does not exist. */
export class SftpFileNotFoundError extends SftpError {
  override name = 'Sftp.FileNotFound';
}
/** The account may not read the file. */
export class SftpPermissionError extends SftpError {
  override name = 'Sftp.PermissionDenied';
}
/** The server did not answer, refused the connection or dropped it. */
export class SftpConnectionError extends SftpError {
  override name = 'Sftp.ConnectionFailed';
}
/** The connection settings are incomplete or malformed. */
export class SftpSettingsError extends SftpError {
  override name = 'Sftp.InvalidSettings';
}

/** Everything needed to open a session. */
export interface SftpSettings {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password?: string;
  /** An OpenSSH or PEM private key, for key authentication. */
  readonly privateKey?: string;
  /** The server's host key as base64 SHA-256; when set, any other key refuses the connection. */
  readonly hostKeySha256?: string;
}

/** Reads a secret's string value; injectable so the resolution is tested without AWS. */
export type SecretReader = (secretId: string) => Promise<string>;

/** Built on first use: a step whose connections name no secret never loads the Secrets Manager client. */
let secrets: SecretsManagerClient | undefined;

const readSecretFromSecretsManager: SecretReader = async (secretId) => {
  const sdk = await import('@aws-sdk/client-secrets-manager');
  secrets ??= new sdk.SecretsManagerClient(clientConfig(awsEnvironmentFromEnv(), 'secretsmanager'));
  const { SecretString } = await secrets.send(new sdk.GetSecretValueCommand({ SecretId: secretId }));
  if (SecretString === undefined) throw new SftpSettingsError(`secret '${secretId}' has no string value`);
  return SecretString;
};

function fields(value: unknown, where: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new SftpSettingsError(`${where} must be an object`);
  return value as Record<string, unknown>;
}

function text(source: Record<string, unknown>, name: string, where: string): string | undefined {
  const value = source[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new SftpSettingsError(`${where}.${name} must be a string`);
  return value;
}

/**
 * The settings for one task call: the input's `connection`, its secret, then the environment.
 *
 * @example
 * const settings = await resolveSftpSettings({ host: 'sftp.partner.example', secretId: 'partner/sftp' });
 */
export async function resolveSftpSettings(
  connection: unknown,
  env: NodeJS.ProcessEnv = process.env,
  readSecret: SecretReader = readSecretFromSecretsManager,
): Promise<SftpSettings> {
  const input = fields(connection, 'connection');
  const secretId = text(input, 'secretId', 'connection');
  let secret: Record<string, unknown> = {};
  if (secretId !== undefined) {
    const raw = await readSecret(secretId);
    try {
      secret = fields(JSON.parse(raw), `secret '${secretId}'`);
    } catch (error) {
      if (error instanceof SftpError) throw error;
      throw new SftpSettingsError(`secret '${secretId}' is not a JSON object of SFTP settings`, {
        cause: error,
      });
    }
  }
  const pick = (name: string, variable: string): string | undefined =>
    text(input, name, 'connection') ??
    text(secret, name, `secret '${secretId}'`) ??
    (env[variable] || undefined);
  const host = pick('host', 'SFTP_HOST');
  const username = pick('username', 'SFTP_USERNAME');
  const password = pick('password', 'SFTP_PASSWORD');
  const privateKey = pick('privateKey', 'SFTP_PRIVATE_KEY');
  const hostKeySha256 = pick('hostKeySha256', 'SFTP_HOST_KEY_SHA256');
  const rawPort = input.port ?? secret.port ?? (env.SFTP_PORT || undefined) ?? 22;
  const port = typeof rawPort === 'string' ? Number(rawPort) : rawPort;
  if (host === undefined)
    throw new SftpSettingsError('no SFTP host: set connection.host, its secret or SFTP_HOST');
  if (username === undefined)
    throw new SftpSettingsError('no SFTP username: set connection.username, its secret or SFTP_USERNAME');
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65_535)
    throw new SftpSettingsError(
      `SFTP port must be an integer from 1 to 65535, got ${JSON.stringify(rawPort)}`,
    );
  if (password === undefined && privateKey === undefined)
    throw new SftpSettingsError(`no password or private key for SFTP user '${username}' on ${host}`);
  return {
    host,
    port,
    username,
    ...(password === undefined ? {} : { password }),
    ...(privateKey === undefined ? {} : { privateKey }),
    ...(hostKeySha256 === undefined ? {} : { hostKeySha256 }),
  };
}

/** ssh2's error for a failed login carries `level: 'client-authentication'`; SFTP statuses carry `code`. */
function property(error: unknown, name: string): unknown {
  return typeof error === 'object' && error !== null && name in error
    ? (error as Record<string, unknown>)[name]
    : undefined;
}

const NO_SUCH_FILE = 2;
const PERMISSION_DENIED = 3;

/** One decision, used everywhere: what an ssh2 failure means for the workflow. */
export function sftpFailure(error: unknown, what: string, settings: SftpSettings): SftpError {
  if (error instanceof SftpError) return error;
  const where = `${settings.username}@${settings.host}:${settings.port}`;
  const message = error instanceof Error ? error.message : String(error);
  if (property(error, 'level') === 'client-authentication')
    return new SftpAuthenticationError(`${where} refused the login: ${message}`, { cause: error });
  const code = property(error, 'code');
  if (code === NO_SUCH_FILE)
    return new SftpFileNotFoundError(`${what} does not exist on ${where}`, { cause: error });
  if (code === PERMISSION_DENIED)
    return new SftpPermissionError(`${what} on ${where}: permission denied`, { cause: error });
  if (typeof code === 'number') return new SftpError(`${what} on ${where}: ${message}`, { cause: error });
  return new SftpConnectionError(`${what}: ${where} failed: ${message}`, { cause: error });
}

/** An open session and the way to close it. */
export interface SftpSession {
  readonly sftp: SFTPWrapper;
  close(): void;
}

/** Connects, logs in and opens the SFTP subsystem; every failure is one of the named errors. */
export function openSftp(settings: SftpSettings, readyTimeoutMs = 20_000): Promise<SftpSession> {
  const client = new Client();
  const config: ConnectConfig = {
    host: settings.host,
    port: settings.port,
    username: settings.username,
    readyTimeout: readyTimeoutMs,
    ...(settings.password === undefined ? {} : { password: settings.password }),
    ...(settings.privateKey === undefined ? {} : { privateKey: settings.privateKey }),
    ...(settings.hostKeySha256 === undefined
      ? {}
      : {
          hostVerifier: (key: Buffer) =>
            createHash('sha256').update(key).digest('base64') === settings.hostKeySha256,
        }),
  };
  return new Promise((resolve, reject) => {
    const fail = (error: unknown): void => {
      client.end();
      reject(sftpFailure(error, 'connecting', settings));
    };
    client
      .once('ready', () => {
        // SFTP is request/response in small packets: with Nagle's algorithm on, each read request can
        // wait out the peer's delayed ACK, which on Node 22 slowed a 200 MiB copy to minutes.
        client.setNoDelay(true);
        client.sftp((error, sftp) => {
          if (error) return fail(error);
          client.off('error', fail);
          // A connection dropped mid-transfer fails the transfer's own call; log nothing here.
          client.on('error', () => {});
          resolve({ sftp, close: () => client.end() });
        });
      })
      .once('error', fail)
      .connect(config);
  });
}
