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
 * - `arn:aws:states:::SERVICE:ACTION[.sync|.sync:2|.waitForTaskToken]` (an optimized integration) -> the
 *   actions that integration sends in that pattern (`athena:startQueryExecution.sync` ->
 *   `athena:StartQueryExecution`, `athena:GetQueryExecution`, `athena:StopQueryExecution`), from the table
 *   the invoker runs (`router/invoke/integrations.ts`), on the resources given in `sdkResources`;
 * - `arn:aws:states:::s3:getObject|listObjectsV2|putObject` (a distributed Map's ItemReader or
 *   ResultWriter) -> `s3:GetObject`, `s3:ListBucket`, `s3:PutObject` on the buckets in `sdkResources`;
 * - `arn:aws:states:REGION:ACCOUNT:activity:NAME` -> nothing: activity tasks wait in the router's own table;
 * - `arn:aws:states:::aws-sdk:SERVICE:ACTION` -> IAM `prefix:Action`. An ACTION glob is expanded to the
 *   commands of the installed `@aws-sdk/client-*` package, because a service wildcard (`redshift-data:*`)
 *   would also grant every action added to the service later. Actions with resource-level permissions
 *   get the ARNs given for their service in `sdkResources`; only actions IAM cannot scope to a resource
 *   (listed in `ACTIONS_WITHOUT_RESOURCE_LEVEL`) get `Resource: '*'`.
 */
import { createRequire } from 'node:module';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import {
  type EngineGraph,
  type IntegrationPattern,
  isJsonObject,
  isLambdaInvoke,
  type JsonObject,
  parseTaskResource,
} from '../router/asl/index.ts';
import { integrationActions, sdkService } from '../router/invoke/index.ts';

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
  'batch:DescribeJobs',
  'elasticmapreduce:RunJobFlow',
]);

/**
 * The IAM actions of a distributed Map's S3 requests, by the action its ItemReader or ResultWriter names
 * (`arn:aws:states:::s3:ACTION`); they need the buckets in `sdkResources['s3']`.
 */
const MAP_RUN_ACTIONS: Readonly<Record<string, readonly string[]>> = {
  getObject: ['s3:GetObject'],
  listObjectsV2: ['s3:ListBucket'],
  putObject: ['s3:PutObject'],
};

/** One parsed allowlist entry. */
export type AllowlistEntry =
  | { readonly kind: 'lambda'; readonly pattern: string }
  | { readonly kind: 'lambda-integration'; readonly pattern: string }
  | { readonly kind: 'sdk'; readonly pattern: string; readonly service: string; readonly action: string }
  | {
      readonly kind: 'integration';
      readonly pattern: string;
      readonly service: string;
      readonly action: string;
      readonly integrationPattern: IntegrationPattern;
    }
  | { readonly kind: 'activity'; readonly pattern: string };

/** Thrown when an allowlist entry cannot be deployed; the message names the entry and the reason. */
export class AllowlistError extends Error {
  override readonly name = 'AllowlistError';
}

const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[^:]*:[^:]*:function:[^:]+(:[^:]+)?$/;
const LAMBDA_INTEGRATION = /^arn:aws[a-z-]*:states:::lambda:invoke(\.waitForTaskToken)?$/;
const SDK_INTEGRATION = /^arn:aws[a-z-]*:states:::aws-sdk:([^:]+):([^:]+)$/;
const OPTIMIZED_INTEGRATION =
  /^arn:aws[a-z-]*:states:[^:]*:[^:]*:([a-z][a-z0-9-]*):([A-Za-z][A-Za-z0-9]*)(?:\.(sync:2|sync|waitForTaskToken))?$/;
const ACTIVITY = /^arn:aws[a-z-]*:states:[^:]*:[^:]*:activity:[^:]+$/;

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
    if (ACTIVITY.test(pattern)) return { kind: 'activity', pattern };
    const optimized = OPTIMIZED_INTEGRATION.exec(pattern);
    if (optimized?.[1] !== undefined && optimized[2] !== undefined && optimized[1] !== 'aws-sdk') {
      const integrationPattern = (optimized[3] ?? 'request-response') as IntegrationPattern;
      const parsed = parseTaskResource(pattern);
      if (parsed?.kind !== 'service')
        throw new AllowlistError(`${where}: not an integration this runtime runs`);
      if (isLambdaInvoke(parsed)) return { kind: 'lambda-integration', pattern };
      return {
        kind: 'integration',
        pattern,
        service: optimized[1],
        action: optimized[2],
        integrationPattern,
      };
    }
    throw new AllowlistError(
      `${where}: not a Lambda function ARN, arn:aws:states:::lambda:invoke[.waitForTaskToken], ` +
        'arn:aws:states:::SERVICE:ACTION[.PATTERN], an activity or arn:aws:states:::aws-sdk:SERVICE:ACTION',
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
    if (entry.kind === 'lambda-integration' || entry.kind === 'activity') continue;
    const actions =
      entry.kind === 'sdk'
        ? sdkActions(entry)
        : entry.service === 's3'
          ? [...(MAP_RUN_ACTIONS[entry.action] ?? [])]
          : integrationActions(entry.service, entry.action, entry.integrationPattern);
    for (const action of actions) {
      if (ACTIONS_WITHOUT_RESOURCE_LEVEL.has(action)) {
        unscoped.add(action);
        continue;
      }
      const iamPrefix = action.slice(0, action.indexOf(':'));
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

/** Every Task of a graph, its branches and Map processors included. */
function* tasksOf(machine: unknown): Generator<JsonObject> {
  if (!isJsonObject(machine) || !isJsonObject(machine.States)) return;
  for (const state of Object.values(machine.States)) {
    if (!isJsonObject(state)) continue;
    if (state.Type === 'Task') yield state;
    if (Array.isArray(state.Branches)) for (const branch of state.Branches) yield* tasksOf(branch);
    yield* tasksOf(state.ItemProcessor ?? state.Iterator);
  }
}

/** Every distributed Map's S3 request (ItemReader, ResultWriter) of a graph, nested ones included. */
function* mapRunRequestsOf(machine: unknown): Generator<JsonObject> {
  if (!isJsonObject(machine) || !isJsonObject(machine.States)) return;
  for (const state of Object.values(machine.States)) {
    if (!isJsonObject(state)) continue;
    for (const field of ['ItemReader', 'ResultWriter']) {
      const request = state[field];
      if (isJsonObject(request) && typeof request.Resource === 'string') yield request;
    }
    if (Array.isArray(state.Branches)) for (const branch of state.Branches) yield* mapRunRequestsOf(branch);
    yield* mapRunRequestsOf(state.ItemProcessor ?? state.Iterator);
  }
}

/** The S3 ARNs a Map's request names when its Bucket is written out: the bucket and its objects. */
function bucketResources(request: JsonObject): string[] {
  const args = isJsonObject(request.Parameters)
    ? request.Parameters
    : isJsonObject(request.Arguments)
      ? request.Arguments
      : {};
  const bucket = args.Bucket;
  if (typeof bucket !== 'string' || bucket === '' || /\{%|\$\{/.test(bucket)) return [];
  return [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`];
}

/**
 * The allowlist the graphs need, read from their Task states and distributed Maps' S3 requests: each resource as written, and for
 * `lambda:invoke` the function named in its Parameters (when written out), so a deployment grants what
 * its engines call and nothing else.
 *
 * @example
 * const allowlist = allowlistFromGraphs(engines.map((e) => e.graph), { region, account });
 * new RouterStack(app, 'Router', { resourceAllowlist: allowlist, sdkResources: resourcesFromGraphs(...) });
 */
export function allowlistFromGraphs(
  graphs: readonly EngineGraph[],
  where: { readonly region: string; readonly account: string },
): string[] {
  const patterns = new Set<string>();
  for (const graph of graphs) {
    for (const task of tasksOf(graph)) {
      if (typeof task.Resource !== 'string') continue;
      patterns.add(task.Resource);
      const params = isJsonObject(task.Parameters) ? task.Parameters : {};
      if (isLambdaInvoke(parseTaskResource(task.Resource)) && typeof params.FunctionName === 'string') {
        const name = params.FunctionName;
        patterns.add(
          name.startsWith('arn:') ? name : `arn:aws:lambda:${where.region}:${where.account}:function:${name}`,
        );
      }
    }
    for (const request of mapRunRequestsOf(graph)) patterns.add(String(request.Resource));
  }
  return [...patterns].sort();
}

/** The resource an integration's Parameters name when written out (not computed with `.$`). */
function namedResource(
  service: string,
  params: JsonObject,
  region: string,
  account: string,
): { prefix: string; arn: string }[] {
  const text = (field: string): string | undefined =>
    typeof params[field] === 'string' ? (params[field] as string) : undefined;
  const arnOr = (value: string | undefined, make: (name: string) => string): string | undefined =>
    value === undefined ? undefined : value.startsWith('arn:') ? value : make(value);
  const found: { prefix: string; arn: string | undefined }[] = [];
  switch (service) {
    case 'sns':
      found.push({ prefix: 'sns', arn: text('TopicArn') });
      break;
    case 'sqs': {
      const url = /^https:\/\/sqs\.([a-z0-9-]+)\.amazonaws\.com\/(\d+)\/(.+)$/.exec(text('QueueUrl') ?? '');
      found.push({
        prefix: 'sqs',
        arn: url === null ? undefined : `arn:aws:sqs:${url[1]}:${url[2]}:${url[3]}`,
      });
      break;
    }
    case 'dynamodb':
      found.push({
        prefix: 'dynamodb',
        arn: arnOr(text('TableName'), (n) => `arn:aws:dynamodb:${region}:${account}:table/${n}`),
      });
      break;
    case 'events': {
      const entries = Array.isArray(params.Entries) ? params.Entries : [];
      for (const entry of entries) {
        const bus =
          isJsonObject(entry) && typeof entry.EventBusName === 'string' ? entry.EventBusName : 'default';
        found.push({
          prefix: 'events',
          arn: arnOr(bus, (n) => `arn:aws:events:${region}:${account}:event-bus/${n}`),
        });
      }
      break;
    }
    case 'states':
      found.push({ prefix: 'states', arn: text('StateMachineArn') });
      break;
    case 'glue':
      found.push({
        prefix: 'glue',
        arn: arnOr(text('JobName'), (n) => `arn:aws:glue:${region}:${account}:job/${n}`),
      });
      break;
    case 'athena':
      found.push({
        prefix: 'athena',
        arn: `arn:aws:athena:${region}:${account}:workgroup/${text('WorkGroup') ?? 'primary'}`,
      });
      break;
    case 'apigateway': {
      const host = /^(?:https:\/\/)?([a-z0-9]+)\.execute-api\.([a-z0-9-]+)\.amazonaws\.com/.exec(
        text('ApiEndpoint') ?? '',
      );
      const method = text('Method') ?? 'GET';
      const path = (text('Path') ?? '').replace(/^\/+/, '');
      found.push({
        prefix: 'execute-api',
        arn:
          host === null
            ? undefined
            : `arn:aws:execute-api:${host[2]}:${account}:${host[1]}/${text('Stage') ?? '*'}/${method}/${path}`,
      });
      break;
    }
    case 'bedrock':
      found.push({
        prefix: 'bedrock',
        arn: arnOr(text('ModelId'), (m) => `arn:aws:bedrock:${region}::foundation-model/${m}`),
      });
      break;
    default:
      break;
  }
  return found.flatMap((one) => (one.arn === undefined ? [] : [{ prefix: one.prefix, arn: one.arn }]));
}

/**
 * Resource ARNs per IAM prefix that the graphs' optimized integrations name in their Parameters (a topic,
 * a queue, a table, a bus, a state machine, a Glue job, an Athena workgroup, a model, an API route) and
 * the buckets their distributed Maps read and write (with their objects), for
 * `allowlistStatements`' `sdkResources`. A resource a graph computes at run time (`TopicArn.$`) is not
 * known here: give it in `sdkResources` yourself, or synth stops naming the action that lacks one.
 */
export function resourcesFromGraphs(
  graphs: readonly EngineGraph[],
  where: { readonly region: string; readonly account: string },
): Record<string, string[]> {
  const resources: Record<string, Set<string>> = {};
  for (const graph of graphs) {
    for (const task of tasksOf(graph)) {
      const parsed = typeof task.Resource === 'string' ? parseTaskResource(task.Resource) : undefined;
      if (parsed?.kind !== 'service') continue;
      const params = isJsonObject(task.Parameters) ? task.Parameters : {};
      for (const { prefix, arn } of namedResource(parsed.service, params, where.region, where.account)) {
        const set = resources[prefix] ?? new Set<string>();
        resources[prefix] = set;
        set.add(arn);
        if (prefix === 'states' && (parsed.pattern === 'sync' || parsed.pattern === 'sync:2')) {
          set.add(`${arn.replace(':stateMachine:', ':execution:')}:*`);
        }
      }
    }
    for (const request of mapRunRequestsOf(graph)) {
      const arns = bucketResources(request);
      if (arns.length === 0) continue;
      const set = resources.s3 ?? new Set<string>();
      resources.s3 = set;
      for (const arn of arns) set.add(arn);
    }
  }
  return Object.fromEntries(Object.entries(resources).map(([prefix, set]) => [prefix, [...set].sort()]));
}
