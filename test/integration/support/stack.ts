/**
 * One local AWS stack per integration test file: started in `beforeAll` on a free port (so files run side
 * by side) and stopped in `afterAll`. When `AWS_ENDPOINT_URL` is already set (a real LocalStack, or AWS),
 * the tests use that endpoint instead and no embedded stack is started.
 */
import { afterAll, beforeAll } from 'vitest';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../../localstack/stack.ts';
import { type AwsEnvironment, awsEnvironmentFromEnv } from '../../../router/aws/clients.ts';

/** What a test reads from the stack it runs against. */
export interface TestStack {
  readonly endpoint: string;
  /** Variables for a child process (`AWS_ENDPOINT_URL`, region, keys). */
  readonly env: Readonly<Record<string, string>>;
  /** For `router/aws/clients.ts`: `kinesisClient(stack().aws)`. */
  readonly aws: AwsEnvironment;
  /** The embedded stack (to `register` emulators); undefined against an external endpoint. */
  readonly embedded: LocalStack | undefined;
}

/** Read once, before any test could set it: an endpoint given from outside means "use it". */
const externalEndpoint = process.env.AWS_ENDPOINT_URL;

/**
 * Registers the hooks and returns an accessor, valid inside tests and later hooks.
 *
 * @example
 * const stack = useLocalStack();
 * it('puts', async () => { await kinesisClient(stack().aws).send(...) });
 */
export function useLocalStack(options: Omit<LocalStackOptions, 'port'> = {}): () => TestStack {
  let current: TestStack | undefined;
  beforeAll(async () => {
    if (externalEndpoint !== undefined && externalEndpoint !== '') {
      const aws = awsEnvironmentFromEnv();
      const env: Record<string, string> = { AWS_ENDPOINT_URL: externalEndpoint, AWS_REGION: aws.region };
      if (aws.credentials !== undefined) {
        env.AWS_ACCESS_KEY_ID = aws.credentials.accessKeyId;
        env.AWS_SECRET_ACCESS_KEY = aws.credentials.secretAccessKey;
      }
      current = { endpoint: externalEndpoint, env, aws, embedded: undefined };
      return;
    }
    const embedded = await startLocalStack({ ...options, port: 0 });
    current = { endpoint: embedded.endpoint, env: embedded.env, aws: embedded.aws, embedded };
  });
  afterAll(async () => {
    await current?.embedded?.stop();
  });
  return () => {
    if (current === undefined) throw new Error('useLocalStack: the stack is read before beforeAll has run');
    return current;
  };
}
