/**
 * Lambda accepts a function in three spellings (name, partial ARN, full ARN), each with an optional
 * qualifier, plus a separate `Qualifier` query parameter. Graphs use all of them, so the host resolves
 * them exactly as the Invoke API does before it looks a handler up.
 */
import { LambdaApiError } from './errors.ts';

/** The account id the host reports in ARNs; LocalStack uses the same one. */
export const LOCAL_ACCOUNT_ID = '000000000000';

/** A function reference reduced to what the host needs to find and describe the function. */
export interface FunctionReference {
  readonly name: string;
  /** `$LATEST`, a version number or an alias name; absent when the caller gave none. */
  readonly qualifier?: string;
  /** Region named in the ARN, when the caller used a full ARN. */
  readonly region?: string;
  /** Account named in the ARN, when the caller used a full or partial ARN. */
  readonly account?: string;
}

const NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const QUALIFIER = /^(\$LATEST|[a-zA-Z0-9_-]{1,128})$/;
const FULL_ARN = /^arn:(aws[a-zA-Z-]*):lambda:([a-z0-9-]+):(\d{12}):function:([^:]+)(?::([^:]+))?$/;
const PARTIAL_ARN = /^(\d{12}):function:([^:]+)(?::([^:]+))?$/;
const NAME_WITH_QUALIFIER = /^([^:]+)(?::([^:]+))?$/;

/**
 * Parses the `FunctionName` path segment (already URL-decoded) and the optional `Qualifier` query value.
 *
 * @example
 * parseFunctionName('arn:aws:lambda:eu-west-1:123456789012:function:echo:live')
 * // { name: 'echo', qualifier: 'live', region: 'eu-west-1', account: '123456789012' }
 */
export function parseFunctionName(raw: string, queryQualifier?: string): FunctionReference {
  let name: string | undefined;
  let qualifier: string | undefined;
  let region: string | undefined;
  let account: string | undefined;
  const full = FULL_ARN.exec(raw);
  const partial = full === null ? PARTIAL_ARN.exec(raw) : null;
  if (full !== null) {
    [, , region, account, name, qualifier] = full;
  } else if (partial !== null) {
    [, account, name, qualifier] = partial;
  } else if (!raw.startsWith('arn:')) {
    const plain = NAME_WITH_QUALIFIER.exec(raw);
    if (plain !== null) [, name, qualifier] = plain;
  }
  if (name === undefined || !NAME.test(name)) {
    throw new LambdaApiError(
      400,
      'ValidationException',
      `1 validation error detected: Value '${raw}' at 'functionName' failed to satisfy constraint: ` +
        'Member must be a function name, a partial ARN (ACCOUNT:function:NAME) or a full ARN ' +
        '(arn:aws:lambda:REGION:ACCOUNT:function:NAME), with an optional :QUALIFIER',
    );
  }
  const given = queryQualifier === undefined || queryQualifier === '' ? undefined : queryQualifier;
  if (qualifier !== undefined && given !== undefined && qualifier !== given) {
    throw new LambdaApiError(
      400,
      'InvalidParameterValueException',
      `The derived qualifier from the function name (${qualifier}) does not match the specified qualifier (${given}).`,
    );
  }
  const chosen = qualifier ?? given;
  if (chosen !== undefined && !QUALIFIER.test(chosen)) {
    throw new LambdaApiError(
      400,
      'ValidationException',
      `1 validation error detected: Value '${chosen}' at 'qualifier' failed to satisfy constraint: ` +
        'Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)',
    );
  }
  return {
    name,
    ...(chosen === undefined ? {} : { qualifier: chosen }),
    ...(region === undefined ? {} : { region }),
    ...(account === undefined ? {} : { account }),
  };
}

/** The ARN Lambda reports for a function, qualified when the caller qualified it. */
export function functionArn(region: string, name: string, qualifier?: string): string {
  const base = `arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:${name}`;
  return qualifier === undefined ? base : `${base}:${qualifier}`;
}
