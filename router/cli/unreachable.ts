/**
 * Turns "connect ECONNREFUSED 127.0.0.1:4566" into what the user needs to know: which endpoint the
 * command tried (the local stack's, another one, or AWS in which region) and how to bring it up or point
 * elsewhere. Stores wrap SDK errors, so the whole `cause` chain is searched.
 */
import { isLocalEndpoint } from '../aws/index.ts';

/** Socket error codes that mean the endpoint could not be reached at all. */
const UNREACHABLE_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

const CODE_IN_TEXT = /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|ENETUNREACH)\b/;

/** The local stack's edge endpoint (`npm run localstack:up`). */
export const LOCAL_STACK_ENDPOINT = 'http://127.0.0.1:4566';

function codeOf(error: object): string | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** The first "could not reach" detail in an error, its causes or (for AggregateError) its errors. */
export function unreachableDetail(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0) {
    const current = queue.shift();
    if (typeof current !== 'object' || current === null || seen.has(current)) continue;
    seen.add(current);
    const code = codeOf(current);
    const message = current instanceof Error ? current.message : '';
    if (code !== undefined && UNREACHABLE_CODES.has(code)) return message === '' ? code : message;
    const inText = CODE_IN_TEXT.exec(message);
    if (inText !== null) return message;
    if (current instanceof AggregateError) queue.push(...current.errors);
    if (current instanceof Error && current.cause !== undefined) queue.push(current.cause);
  }
  return undefined;
}

/**
 * What the commands tried to reach and how to fix it when nothing answered there: the endpoint of
 * `AWS_ENDPOINT_URL` (the local stack's, or another one), or AWS in the region in use.
 *
 * @example
 * unreachableAdvice({ AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' }).advice
 * // "is the local stack running? Start it with `npm run localstack:up` ..."
 */
export function unreachableAdvice(env: NodeJS.ProcessEnv): {
  readonly target: string;
  readonly advice: string;
} {
  const endpoint = env.AWS_ENDPOINT_URL;
  if (endpoint !== undefined && endpoint !== '') {
    const target = `AWS_ENDPOINT_URL=${endpoint}`;
    return isLocalEndpoint(endpoint)
      ? {
          target,
          advice: `is the local stack running? Start it with \`npm run localstack:up\` (it serves ${LOCAL_STACK_ENDPOINT}), or point AWS_ENDPOINT_URL at the one that runs`,
        }
      : {
          target,
          advice: 'check that this endpoint is up and reachable, or unset AWS_ENDPOINT_URL to use AWS',
        };
  }
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  const target =
    region === undefined
      ? 'AWS in us-east-1 (AWS_REGION is not set; AWS_ENDPOINT_URL is not set)'
      : `AWS in ${region} (from ${env.AWS_REGION ? 'AWS_REGION' : 'AWS_DEFAULT_REGION'}; AWS_ENDPOINT_URL is not set)`;
  return {
    target,
    advice: `check the network and the region, or export AWS_ENDPOINT_URL=${LOCAL_STACK_ENDPOINT} to use the local stack (\`npm run localstack:up\`)`,
  };
}

/** The message to print instead of a bare socket error, or undefined when the error is something else. */
export function unreachableHint(error: unknown, env: NodeJS.ProcessEnv): string | undefined {
  const detail = unreachableDetail(error);
  if (detail === undefined) return undefined;
  const { target, advice } = unreachableAdvice(env);
  return `cannot reach ${target}: ${detail}\n  ${advice}`;
}
