/**
 * The optimized integrations (`arn:aws:states:::SERVICE:ACTION[.PATTERN]`) as data: which SDK command
 * each sends, how Step Functions shapes its request and its result (so a graph's ResultSelector and
 * ResultPath find what they found on Step Functions), which prefix its errors carry, how a `.sync` job is
 * polled to its end, and which IAM actions each pattern needs (the CDK app grants exactly those).
 *
 * Step Functions' own integrations predate the SDK's v3 shapes in places, so the differences are kept
 * here: SNS, SQS and DynamoDB results carry `SdkHttpMetadata` / `SdkResponseMetadata`; a message body,
 * an event's `Detail`, a child execution's `Input` and a model's `Body` may be given as JSON and are sent
 * as text; a model's answer comes back parsed.
 */
import type { IntegrationPattern, JsonObject, JsonValue } from '../asl/index.ts';
import { isJsonObject } from '../asl/index.ts';
import { toJson } from './json.ts';

/** How a job stands after a poll. */
export type JobState =
  | { readonly state: 'running' }
  | { readonly state: 'succeeded'; readonly output: JsonValue }
  | { readonly state: 'failed'; readonly error: string; readonly cause: string };

/** How a `.sync` task learns when its job ends. */
export interface JobPoll {
  /** The SDK command that describes the job (`GetQueryExecution`). */
  readonly command: string;
  /** What the poll needs from the start command's result (the job's id), kept in the checkpoint. */
  readonly handle: (started: JsonObject, params: JsonObject) => JsonObject;
  /** The describe command's input, from that handle. */
  readonly input: (handle: JsonObject) => JsonObject;
  /** The job's state from the describe command's output; `pattern` tells `.sync` from `.sync:2`. */
  readonly state: (described: JsonObject, pattern: IntegrationPattern) => JobState;
  /** IAM actions the poll needs besides the start command's. */
  readonly iam: readonly string[];
  /** The SDK command that stops the job, and its input from the handle, when the service has one. */
  readonly stop?: { readonly command: string; readonly input: (handle: JsonObject) => JsonObject };
}

/** One optimized integration. */
export interface IntegrationSpec {
  /** SDK service name (`sdkServices.ts`) whose client sends the command. */
  readonly sdk: string;
  /** SDK command name without `Command` (`Publish`). */
  readonly command: string;
  /** Prefix of its error names (`SNS` in `SNS.InvalidParameterException`). */
  readonly errorPrefix: string;
  /** IAM actions of the request/response pattern. */
  readonly iam: readonly string[];
  /** Step Functions' Parameters -> the SDK command's input (default: as they are). */
  readonly request?: (params: JsonObject) => JsonObject;
  /** The SDK output (JSON, `$metadata` dropped) -> the task's result (default: as it is). */
  readonly response?: (output: JsonObject) => JsonValue;
  /** True for the integrations whose results carry `SdkHttpMetadata` and `SdkResponseMetadata`. */
  readonly httpMetadata?: boolean;
  /** A failed result that the service reported as a success (EventBridge's failed entries). */
  readonly failure?: (output: JsonObject) => { error: string; cause: string } | undefined;
  /** `.sync`: how the job is polled. */
  readonly job?: JobPoll;
  /**
   * For services whose API spells its fields in camelCase (Batch, ECS, Step Functions, Bedrock), where
   * Step Functions takes and gives PascalCase: requests are converted to camelCase and results back,
   * every level deep or the top level only; `keep` names fields whose values are the user's own maps.
   */
  readonly casing?: { readonly depth: 'deep' | 'top'; readonly keep?: readonly string[] };
}

/** Text as the service wants it: strings as they are, any other JSON serialised. */
function text(value: JsonValue | undefined): JsonValue | undefined {
  return value === undefined || typeof value === 'string' ? value : JSON.stringify(value);
}

/** A copy of `params` with `field` as text. */
function withText(params: JsonObject, field: string): JsonObject {
  const value = text(params[field]);
  return value === undefined ? params : { ...params, [field]: value };
}

function str(value: JsonValue | undefined): string {
  return typeof value === 'string' ? value : '';
}

function obj(value: JsonValue | undefined): JsonObject {
  return isJsonObject(value) ? value : {};
}

function parsed(value: JsonValue | undefined): JsonValue | undefined {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as JsonValue;
  } catch {
    return value;
  }
}

/** A job that ended badly: Step Functions fails the task with States.TaskFailed and the job as cause. */
function jobFailed(described: JsonValue): JobState {
  return { state: 'failed', error: 'States.TaskFailed', cause: JSON.stringify(described) };
}

/** Why a job is stopped, where its service keeps a reason. */
const STOP_REASON = 'stopped by the workflow that started it: its task stopped waiting';

const athenaPoll: JobPoll = {
  command: 'GetQueryExecution',
  handle: (started) => ({ QueryExecutionId: str(started.QueryExecutionId) }),
  input: (handle) => handle,
  state: (described) => {
    const status = str(obj(obj(described.QueryExecution).Status).State);
    if (status === 'SUCCEEDED') return { state: 'succeeded', output: described };
    return status === 'FAILED' || status === 'CANCELLED' ? jobFailed(described) : { state: 'running' };
  },
  iam: ['athena:GetQueryExecution', 'athena:StopQueryExecution'],
  stop: { command: 'StopQueryExecution', input: (handle) => handle },
};

const gluePoll: JobPoll = {
  command: 'GetJobRun',
  handle: (started, params) => ({ JobName: str(params.JobName), RunId: str(started.JobRunId) }),
  input: (handle) => handle,
  state: (described) => {
    const run = obj(described.JobRun);
    const status = str(run.JobRunState);
    if (status === 'SUCCEEDED') return { state: 'succeeded', output: run };
    return ['FAILED', 'STOPPED', 'TIMEOUT', 'ERROR'].includes(status) ? jobFailed(run) : { state: 'running' };
  },
  iam: ['glue:GetJobRun', 'glue:GetJobRuns', 'glue:BatchStopJobRun'],
  stop: {
    command: 'BatchStopJobRun',
    input: (handle) => ({ JobName: str(handle.JobName), JobRunIds: [str(handle.RunId)] }),
  },
};

const batchPoll: JobPoll = {
  command: 'DescribeJobs',
  handle: (started) => ({ JobId: str(started.JobId) }),
  input: (handle) => ({ Jobs: [str(handle.JobId)] }),
  state: (described) => {
    const jobs = described.Jobs;
    const job = obj(Array.isArray(jobs) ? jobs[0] : undefined);
    const status = str(job.Status);
    if (status === 'SUCCEEDED') return { state: 'succeeded', output: job };
    return status === 'FAILED' ? jobFailed(job) : { state: 'running' };
  },
  iam: ['batch:DescribeJobs', 'batch:TerminateJob'],
  stop: {
    command: 'TerminateJob',
    input: (handle) => ({ JobId: str(handle.JobId), Reason: STOP_REASON }),
  },
};

const ecsPoll: JobPoll = {
  command: 'DescribeTasks',
  handle: (started, params) => {
    const tasks = started.Tasks;
    const task = obj(Array.isArray(tasks) ? tasks[0] : undefined);
    return { Cluster: str(params.Cluster), TaskArn: str(task.TaskArn) };
  },
  input: (handle) => ({
    ...(str(handle.Cluster) === '' ? {} : { Cluster: str(handle.Cluster) }),
    Tasks: [str(handle.TaskArn)],
  }),
  state: (described) => {
    const tasks = described.Tasks;
    const task = obj(Array.isArray(tasks) ? tasks[0] : undefined);
    if (str(task.LastStatus) !== 'STOPPED') return { state: 'running' };
    const containers = Array.isArray(task.Containers) ? task.Containers : [];
    const failed = containers.some((c) => obj(c).ExitCode !== 0);
    return failed ? jobFailed(task) : { state: 'succeeded', output: task };
  },
  iam: ['ecs:DescribeTasks', 'ecs:StopTask'],
  stop: {
    command: 'StopTask',
    input: (handle) => ({
      ...(str(handle.Cluster) === '' ? {} : { Cluster: str(handle.Cluster) }),
      Task: str(handle.TaskArn),
      Reason: STOP_REASON,
    }),
  },
};

const executionPoll: JobPoll = {
  command: 'DescribeExecution',
  handle: (started) => ({ ExecutionArn: str(started.ExecutionArn) }),
  input: (handle) => handle,
  state: (described, pattern) => {
    const status = str(described.Status);
    if (status === 'RUNNING' || status === 'PENDING_REDRIVE') return { state: 'running' };
    const output =
      pattern === 'sync:2' && described.Output !== undefined
        ? { ...described, Output: parsed(described.Output) ?? null }
        : described;
    return status === 'SUCCEEDED' ? { state: 'succeeded', output } : jobFailed(output);
  },
  iam: ['states:DescribeExecution', 'states:StopExecution'],
  stop: {
    command: 'StopExecution',
    input: (handle) => ({ ExecutionArn: str(handle.ExecutionArn), Cause: STOP_REASON }),
  },
};

function emrClusterPoll(done: readonly string[]): JobPoll {
  return {
    command: 'DescribeCluster',
    handle: (started, params) => ({ ClusterId: str(started.JobFlowId) || str(params.ClusterId) }),
    input: (handle) => handle,
    state: (described) => {
      const cluster = obj(described.Cluster);
      const status = str(obj(cluster.Status).State);
      if (done.includes(status)) return { state: 'succeeded', output: { ClusterId: str(cluster.Id) } };
      return status.startsWith('TERMINAT') ? jobFailed(cluster) : { state: 'running' };
    },
    iam: ['elasticmapreduce:DescribeCluster'],
  };
}

const emrStepPoll: JobPoll = {
  command: 'DescribeStep',
  handle: (started, params) => {
    const ids = started.StepIds;
    return { ClusterId: str(params.ClusterId), StepId: str(Array.isArray(ids) ? ids[0] : undefined) };
  },
  input: (handle) => handle,
  state: (described) => {
    const step = obj(described.Step);
    const status = str(obj(step.Status).State);
    if (status === 'COMPLETED') return { state: 'succeeded', output: step };
    return ['FAILED', 'CANCELLED', 'INTERRUPTED'].includes(status) ? jobFailed(step) : { state: 'running' };
  },
  iam: ['elasticmapreduce:DescribeStep', 'elasticmapreduce:CancelSteps'],
};

/** The optimized integrations sent through an SDK client, by `service:action`. */
export const SDK_INTEGRATIONS: Readonly<Record<string, IntegrationSpec>> = {
  'sns:publish': {
    sdk: 'sns',
    command: 'Publish',
    errorPrefix: 'SNS',
    iam: ['sns:Publish'],
    request: (params) => withText(params, 'Message'),
    httpMetadata: true,
  },
  'sqs:sendMessage': {
    sdk: 'sqs',
    command: 'SendMessage',
    errorPrefix: 'SQS',
    iam: ['sqs:SendMessage'],
    request: (params) => withText(params, 'MessageBody'),
    httpMetadata: true,
  },
  'events:putEvents': {
    sdk: 'eventbridge',
    command: 'PutEvents',
    errorPrefix: 'EventBridge',
    iam: ['events:PutEvents'],
    request: (params) => {
      const entries = params.Entries;
      if (!Array.isArray(entries)) return params;
      return {
        ...params,
        Entries: entries.map((entry) => (isJsonObject(entry) ? withText(entry, 'Detail') : entry)),
      };
    },
    failure: (output) =>
      typeof output.FailedEntryCount === 'number' && output.FailedEntryCount > 0
        ? { error: 'EventBridge.FailedEntry', cause: JSON.stringify(output) }
        : undefined,
  },
  'dynamodb:getItem': {
    sdk: 'dynamodb',
    command: 'GetItem',
    errorPrefix: 'DynamoDB',
    iam: ['dynamodb:GetItem'],
    httpMetadata: true,
  },
  'dynamodb:putItem': {
    sdk: 'dynamodb',
    command: 'PutItem',
    errorPrefix: 'DynamoDB',
    iam: ['dynamodb:PutItem'],
    httpMetadata: true,
  },
  'dynamodb:updateItem': {
    sdk: 'dynamodb',
    command: 'UpdateItem',
    errorPrefix: 'DynamoDB',
    iam: ['dynamodb:UpdateItem'],
    httpMetadata: true,
  },
  'dynamodb:deleteItem': {
    sdk: 'dynamodb',
    command: 'DeleteItem',
    errorPrefix: 'DynamoDB',
    iam: ['dynamodb:DeleteItem'],
    httpMetadata: true,
  },
  'athena:startQueryExecution': {
    sdk: 'athena',
    command: 'StartQueryExecution',
    errorPrefix: 'Athena',
    iam: ['athena:StartQueryExecution'],
    job: athenaPoll,
  },
  'athena:getQueryExecution': {
    sdk: 'athena',
    command: 'GetQueryExecution',
    errorPrefix: 'Athena',
    iam: ['athena:GetQueryExecution'],
  },
  'athena:getQueryResults': {
    sdk: 'athena',
    command: 'GetQueryResults',
    errorPrefix: 'Athena',
    iam: ['athena:GetQueryResults'],
  },
  'athena:stopQueryExecution': {
    sdk: 'athena',
    command: 'StopQueryExecution',
    errorPrefix: 'Athena',
    iam: ['athena:StopQueryExecution'],
  },
  'glue:startJobRun': {
    sdk: 'glue',
    command: 'StartJobRun',
    errorPrefix: 'Glue',
    iam: ['glue:StartJobRun'],
    job: gluePoll,
  },
  'batch:submitJob': {
    sdk: 'batch',
    command: 'SubmitJob',
    errorPrefix: 'Batch',
    iam: ['batch:SubmitJob'],
    job: batchPoll,
    casing: { depth: 'deep', keep: ['Parameters', 'Tags'] },
  },
  'ecs:runTask': {
    sdk: 'ecs',
    command: 'RunTask',
    errorPrefix: 'ECS',
    iam: ['ecs:RunTask', 'iam:PassRole'],
    job: ecsPoll,
    casing: { depth: 'deep' },
  },
  'bedrock:invokeModel': {
    sdk: 'bedrockruntime',
    command: 'InvokeModel',
    errorPrefix: 'Bedrock',
    iam: ['bedrock:InvokeModel'],
    request: (params) => ({
      ContentType: 'application/json',
      Accept: 'application/json',
      ...withText(params, 'Body'),
    }),
    response: (output) => ({ ...output, Body: parsed(decodeBase64(output.Body)) ?? null }),
    casing: { depth: 'top' },
  },
  'states:startExecution': {
    sdk: 'sfn',
    command: 'StartExecution',
    errorPrefix: 'StepFunctions',
    iam: ['states:StartExecution'],
    request: (params) => withText(params, 'Input'),
    job: executionPoll,
    casing: { depth: 'deep' },
  },
  'elasticmapreduce:createCluster': {
    sdk: 'emr',
    command: 'RunJobFlow',
    errorPrefix: 'ElasticMapReduce',
    iam: ['elasticmapreduce:RunJobFlow', 'iam:PassRole'],
    response: (output) => ({ ClusterId: str(output.JobFlowId), ClusterArn: str(output.ClusterArn) }),
    job: emrClusterPoll(['WAITING', 'RUNNING']),
  },
  'elasticmapreduce:addStep': {
    sdk: 'emr',
    command: 'AddJobFlowSteps',
    errorPrefix: 'ElasticMapReduce',
    iam: ['elasticmapreduce:AddJobFlowSteps'],
    request: (params) => ({ JobFlowId: str(params.ClusterId), Steps: [params.Step ?? null] }),
    response: (output) => {
      const ids = output.StepIds;
      return { StepId: str(Array.isArray(ids) ? ids[0] : undefined) };
    },
    job: emrStepPoll,
  },
  'elasticmapreduce:terminateCluster': {
    sdk: 'emr',
    command: 'TerminateJobFlows',
    errorPrefix: 'ElasticMapReduce',
    iam: ['elasticmapreduce:TerminateJobFlows'],
    request: (params) => ({ JobFlowIds: [str(params.ClusterId)] }),
    response: () => ({}),
    job: emrClusterPoll(['TERMINATED']),
  },
};

/** The model's answer arrives as bytes, which `toJson` turned into base64. */
function decodeBase64(value: JsonValue | undefined): JsonValue | undefined {
  return typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : value;
}

/** The `SdkHttpMetadata` / `SdkResponseMetadata` Step Functions adds to SNS, SQS and DynamoDB results. */
export function httpMetadata(output: unknown): JsonObject {
  const metadata =
    typeof output === 'object' && output !== null && '$metadata' in output ? toJson(output.$metadata) : null;
  const meta = obj(metadata);
  const requestId = str(meta.requestId);
  const status = typeof meta.httpStatusCode === 'number' ? meta.httpStatusCode : 200;
  return {
    SdkHttpMetadata: {
      AllHttpHeaders: { 'x-amzn-RequestId': [requestId] },
      HttpHeaders: { 'x-amzn-RequestId': requestId },
      HttpStatusCode: status,
    },
    SdkResponseMetadata: { RequestId: requestId },
  };
}

/**
 * IAM actions an integration needs in a pattern: its command's, and for `.sync` its poll's (the router
 * polls the job itself, so none of the EventBridge rules Step Functions manages for `.sync`).
 */
export function integrationActions(service: string, action: string, pattern: IntegrationPattern): string[] {
  if (service === 'lambda' && action === 'invoke') return [];
  // The router calls endpoints itself: an HTTP task with the credentials its host gives (`HttpDeps`),
  // API Gateway signed with the router's own role.
  if (service === 'http') return [];
  if (service === 'apigateway') return ['execute-api:Invoke'];
  const spec = SDK_INTEGRATIONS[`${service}:${action}`];
  if (spec === undefined) return [];
  const sync = pattern === 'sync' || pattern === 'sync:2';
  return [...spec.iam, ...(sync && spec.job !== undefined ? spec.job.iam : [])];
}
