/**
 * Turns the router's resource allowlist (the ARN patterns graphs may name, `ROUTER_RESOURCE_ALLOWLIST`)
 * into the IAM statements that let the router call exactly those resources, so the allowlist the router
 * enforces at publish and load and the permissions it holds in AWS are one list and cannot drift.
 *
 * Pattern forms (`*` is a glob):
 * - `arn:aws:lambda:REGION:ACCOUNT:function:NAME` -> `lambda:InvokeFunction` on the function and its
 *   qualifiers;
 * - `arn:aws:states:::lambda:invoke[.waitForTaskToken]` -> nothing by itself: the function named in the
 *   state's Parameters must match a Lambda pattern;
 * - `arn:aws:states:::aws-sdk:SERVICE:ACTION` -> IAM `prefix:Action`. An ACTION glob is expanded to the
 *   commands of the installed `@aws-sdk/client-*` package, because a service wildcard (`redshift-data:*`)
 *   would also grant every action added to the service later. Actions with resource-level permissions
 *   get the ARNs given for their service in `sdkResources`; only actions IAM cannot scope to a resource
 *   (listed in `ACTIONS_WITHOUT_RESOURCE_LEVEL`) get `Resource: '*'`.
 */
import { createRequire } from 'node:module';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { sdkService } from '../router/invoke/index.ts';

/**
 * IAM actions that support no resource-level permission (the Service Authorization Reference lists no
 * resource type for them), so `Resource: '*'` is the narrowest statement IAM accepts.
 */
export const ACTIONS_WITHOUT_RESOURCE_LEVEL: ReadonlySet<string> = new Set([
  'redshift-data:DescribeStatement',
  'redshift-data:GetStatementResult',
  'redshift-data:GetStatementResultV2',
  'redshift-data:CancelStatement',
  'redshift-data:ListStatements',
  'redshift-data:ListSessions',
  's3:ListAllMyBuckets',
  'sqs:ListQueues',
  'sns:ListTopics',
  'lambda:ListFunctions',
  'kinesis:ListStreams',
  'dynamodb:ListTables',
  'states:ListStateMachines',
  'states:ListActivities',
  'secretsmanager:ListSecrets',
  'secretsmanager:GetRandomPassword',
]);

/** One parsed allowlist entry. */
export type AllowlistEntry =
  | { readonly kind: 'lambda'; readonly pattern: string }
  | { readonly kind: 'lambda-integration'; readonly pattern: string }
  | { readonly kind: 'sdk'; readonly pattern: string; readonly service: string; readonly action: string };

/** Thrown when an allowlist entry cannot be deployed; the message names the entry and the reason. */
export class AllowlistError extends Error {
  override readonly name = 'AllowlistError';
}

const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[^:]*:[^:]*:function:[^:]+(:[^:]+)?$/;
const LAMBDA_INTEGRATION = /^arn:aws[a-z-]*:states:::lambda:invoke(\.waitForTaskToken)?$/;
const SDK_INTEGRATION = /^arn:aws[a-z-]*:states:::aws-sdk:([^:]+):([^:]+)$/;

/** Splits `ROUTER_RESOURCE_ALLOWLIST` (comma-separated) into patterns, dropping blanks. */
export function splitAllowlist(value: string): string[] {
  return value
    .split(',')
    .map((pattern) => pattern.trim())
    .filter((pattern) => pattern !== '');
}

/** Classifies each pattern; rejects forms IAM cannot express narrowly. */
export function parseAllowlist(patterns: readonly string[]): AllowlistEntry[] {
  return patterns.map((pattern, index): AllowlistEntry => {
    const where = `resource allowlist entry ${index + 1} (${JSON.stringify(pattern)})`;
    if (LAMBDA_ARN.test(pattern)) return { kind: 'lambda', pattern };
    if (LAMBDA_INTEGRATION.test(pattern)) return { kind: 'lambda-integration', pattern };
    const sdk = SDK_INTEGRATION.exec(pattern);
    if (sdk !== null) {
      const service = sdk[1] ?? '';
      const action = sdk[2] ?? '';
      if (service.includes('*')) {
        throw new AllowlistError(`${where}: the service name may not contain '*'; name each service`);
      }
      return { kind: 'sdk', pattern, service, action };
    }
    throw new AllowlistError(
      `${where}: not a Lambda function ARN, arn:aws:states:::lambda:invoke[.waitForTaskToken] or ` +
        'arn:aws:states:::aws-sdk:SERVICE:ACTION',
    );
  });
}

const requireFromHere = createRequire(import.meta.url);

/** Command names (PascalCase, without `Command`) exported by an installed AWS SDK v3 client package. */
function sdkCommands(entry: AllowlistEntry & { kind: 'sdk' }, sdkPackage: string): string[] {
  let exported: Record<string, unknown>;
  try {
    exported = requireFromHere(sdkPackage) as Record<string, unknown>;
  } catch (error) {
    throw new AllowlistError(
      `resource allowlist entry ${JSON.stringify(entry.pattern)}: cannot expand action '${entry.action}' ` +
        `because ${sdkPackage} is not installed; install it or list the actions one by one`,
      { cause: error },
    );
  }
  return Object.keys(exported)
    .filter((name) => /^[A-Z][A-Za-z0-9]*Command$/.test(name))
    .map((name) => name.slice(0, -'Command'.length));
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`, 'i');
}

/** `executeStatement` (the integration's camelCase) -> `ExecuteStatement` (IAM's PascalCase). */
function pascal(action: string): string {
  return action.charAt(0).toUpperCase() + action.slice(1);
}

/** The IAM actions (`prefix:Action`) one SDK-integration entry allows, globs expanded. */
export function sdkActions(entry: AllowlistEntry & { kind: 'sdk' }): string[] {
  const { iamPrefix, packageName: sdkPackage } = sdkService(entry.service);
  if (!entry.action.includes('*')) return [`${iamPrefix}:${pascal(entry.action)}`];
  const matcher = globToRegExp(entry.action);
  const actions = sdkCommands(entry, sdkPackage)
    .filter((command) => matcher.test(command))
    .map((command) => `${iamPrefix}:${command}`);
  if (actions.length === 0) {
    throw new AllowlistError(
      `resource allowlist entry ${JSON.stringify(entry.pattern)}: '${entry.action}' matches no command of ${sdkPackage}`,
    );
  }
  return actions;
}

/** Options for `allowlistStatements`. */
export interface AllowlistPolicyOptions {
  /**
   * Resource ARNs per IAM prefix (e.g. `'redshift-data': [clusterArn]`) for SDK actions that support
   * resource-level permissions. An allowlisted action that needs them and has none is a synth error.
   */
  readonly sdkResources?: Readonly<Record<string, readonly string[]>>;
}

/** The least-privilege IAM statements for a parsed allowlist (merged per resource set, sorted). */
export function allowlistStatements(
  entries: readonly AllowlistEntry[],
  options: AllowlistPolicyOptions = {},
): PolicyStatement[] {
  const lambdaResources = new Set<string>();
  const unscoped = new Set<string>();
  const scoped = new Map<string, Set<string>>();
  for (const entry of entries) {
    if (entry.kind === 'lambda') {
      lambdaResources.add(entry.pattern);
      // An unqualified function pattern also covers its versions and aliases (`NAME:QUALIFIER`).
      if (!entry.pattern.endsWith('*') && entry.pattern.split(':').length === 7) {
        lambdaResources.add(`${entry.pattern}:*`);
      }
      continue;
    }
    if (entry.kind === 'lambda-integration') continue;
    const { iamPrefix } = sdkService(entry.service);
    for (const action of sdkActions(entry)) {
      if (ACTIONS_WITHOUT_RESOURCE_LEVEL.has(action)) {
        unscoped.add(action);
        continue;
      }
      const resources = options.sdkResources?.[iamPrefix];
      if (resources === undefined || resources.length === 0) {
        throw new AllowlistError(
          `resource allowlist entry ${JSON.stringify(entry.pattern)}: ${action} supports resource-level ` +
            `permissions; give its resource ARNs in sdkResources['${iamPrefix}']`,
        );
      }
      const set = scoped.get(iamPrefix) ?? new Set<string>();
      set.add(action);
      scoped.set(iamPrefix, set);
    }
  }
  const statements: PolicyStatement[] = [];
  if (lambdaResources.size > 0) {
    statements.push(
      new PolicyStatement({
        sid: 'InvokeAllowlistedFunctions',
        effect: Effect.ALLOW,
        actions: ['lambda:InvokeFunction'],
        resources: [...lambdaResources].sort(),
      }),
    );
  }
  for (const [iamPrefix, actions] of [...scoped].sort(([a], [b]) => a.localeCompare(b))) {
    statements.push(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: [...actions].sort(),
        resources: [...(options.sdkResources?.[iamPrefix] ?? [])],
      }),
    );
  }
  if (unscoped.size > 0) {
    statements.push(
      new PolicyStatement({
        sid: 'SdkActionsWithoutResourceLevelPermissions',
        effect: Effect.ALLOW,
        actions: [...unscoped].sort(),
        resources: ['*'],
      }),
    );
  }
  return statements;
}
