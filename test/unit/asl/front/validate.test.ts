import { describe, expect, it } from 'vitest';
import { validateGraph } from '../../../../router/asl/validate/index.ts';

const FN = 'arn:aws:lambda:us-east-1:000000000000:function:seed004-step';

/** A one-scope graph: `states` plus a terminal `Done`, starting at the first state given. */
function graph(
  states: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    StartAt: Object.keys(states)[0] ?? 'Done',
    States: { ...states, Done: { Type: 'Succeed' } },
    ...extra,
  };
}
const task = (fields: Record<string, unknown> = {}): Record<string, unknown> => ({
  Type: 'Task',
  Resource: FN,
  Next: 'Done',
  ...fields,
});

interface Case {
  readonly rule: string;
  readonly value: unknown;
  readonly path: string;
  readonly message: string;
  readonly allowlist?: readonly string[];
}

const cases: Case[] = [
  // Top level and scopes
  { rule: 'graph is an object', value: [], path: '', message: 'a graph must be an object' },
  {
    rule: 'States required',
    value: { StartAt: 'A' },
    path: '/States',
    message: "missing required field 'States'",
  },
  {
    rule: 'StartAt required',
    value: { States: { A: { Type: 'Succeed' } } },
    path: '/StartAt',
    message: "missing required field 'StartAt'",
  },
  {
    rule: 'StartAt exists',
    value: { StartAt: 'B', States: { A: { Type: 'Succeed' } } },
    path: '/StartAt',
    message: "'StartAt' names state 'B', which does not exist in this scope",
  },
  {
    rule: 'unknown top-level field',
    value: graph({}, { Extra: 1 }),
    path: '/Extra',
    message: "unknown field 'Extra' in the graph",
  },
  {
    rule: 'Mode',
    value: graph({}, { Mode: 'fast' }),
    path: '/Mode',
    message: "'Mode' must be 'standard' or 'express'",
  },
  {
    rule: 'Engine',
    value: graph({}, { Engine: '' }),
    path: '/Engine',
    message: "'Engine' must be a non-empty string",
  },
  {
    rule: 'Match leaves are lists',
    value: graph({}, { Match: { source: 'x' } }),
    path: '/Match/source',
    message: `'Match' event pattern: must be a list of values or a nested object, got "x"`,
  },
  {
    rule: 'Match matchers well formed',
    value: graph({}, { Match: { data: { kind: [{ prefix: 1 }] } } }),
    path: '/Match/data/kind/0',
    message: "'Match' event pattern: 'prefix' needs a string, got 1",
  },
  {
    rule: 'QueryLanguage is JSONPath or JSONata',
    value: graph({}, { QueryLanguage: 'JMESPath' }),
    path: '/QueryLanguage',
    message: "'QueryLanguage' must be 'JSONPath' or 'JSONata'",
  },
  // States
  {
    rule: 'Type required',
    value: graph({ A: { Next: 'Done' } }),
    path: '/States/A/Type',
    message: "missing required field 'Type'",
  },
  {
    rule: 'Type known',
    value: graph({ A: { Type: 'Loop' } }),
    path: '/States/A/Type',
    message: "'Type' must be one of Pass, Task, Choice, Wait, Succeed, Fail, Parallel, Map",
  },
  {
    rule: 'unknown state field',
    value: graph({ A: task({ Reslt: 1 }) }),
    path: '/States/A/Reslt',
    message: "unknown field 'Reslt' in a Task state",
  },
  {
    rule: 'Next on Succeed is unknown',
    value: graph({ A: { Type: 'Succeed', Next: 'Done' } }),
    path: '/States/A/Next',
    message: "unknown field 'Next' in a Succeed state",
  },
  {
    rule: 'Next or End',
    value: graph({ A: { Type: 'Pass' } }),
    path: '/States/A',
    message: "a Pass state needs 'Next' or 'End: true'",
  },
  {
    rule: 'not both Next and End',
    value: graph({ A: { Type: 'Pass', Next: 'Done', End: true } }),
    path: '/States/A',
    message: "a state has either 'Next' or 'End: true', not both",
  },
  {
    rule: 'Next exists',
    value: graph({ A: task({ Next: 'Nowhere' }) }),
    path: '/States/A/Next',
    message: "'Next' names state 'Nowhere', which does not exist in this scope",
  },
  {
    rule: 'reachable',
    value: { StartAt: 'A', States: { A: { Type: 'Succeed' }, B: { Type: 'Succeed' } } },
    path: '/States/B',
    message: "state 'B' is not reachable from StartAt",
  },
  {
    rule: 'terminal exists',
    value: { StartAt: 'A', States: { A: { Type: 'Pass', Next: 'B' }, B: { Type: 'Pass', Next: 'A' } } },
    path: '/States',
    message: 'no terminal state is reachable (End: true, Succeed or Fail)',
  },
  {
    rule: 'state name length',
    value: graph({ ['x'.repeat(81)]: task() }),
    path: `/States/${'x'.repeat(81)}`,
    message: 'state name is longer than 80 characters',
  },
  // Paths and templates
  {
    rule: 'InputPath is a path',
    value: graph({ A: task({ InputPath: 'x' }) }),
    path: '/States/A/InputPath',
    message: "'InputPath': path 'x' must start with '$'",
  },
  {
    rule: 'ResultPath is a reference path',
    value: graph({ A: task({ ResultPath: '$.a[*]' }) }),
    path: '/States/A/ResultPath',
    message:
      "'ResultPath': path '$.a[*]': '[*]' is not allowed in a reference path (only a field name or an index >= 0)",
  },
  {
    rule: '.$ value is a string',
    value: graph({ A: task({ Parameters: { 'a.$': 1 } }) }),
    path: '/States/A/Parameters/a.$',
    message: "Parameters: 'a.$' must be a path or an intrinsic function call (a string)",
  },
  {
    rule: '.$ value is a path',
    value: graph({ A: task({ Parameters: { nested: { 'a.$': 'a.b' } } }) }),
    path: '/States/A/Parameters/nested/a.$',
    message: "Parameters: 'a.$': path 'a.b' must start with '$'",
  },
  {
    rule: '.$ intrinsic',
    value: graph({ A: task({ ResultSelector: { 'n.$': 'States.ArrayLength()' } }) }),
    path: '/States/A/ResultSelector/n.$',
    message: "ResultSelector: 'n.$': States.ArrayLength takes 1 argument(s), got 0",
  },
  {
    rule: 'plain and .$ key both',
    value: graph({ A: task({ Parameters: { a: 1, 'a.$': '$.a' } }) }),
    path: '/States/A/Parameters/a.$',
    message: "Parameters: both 'a' and 'a.$' are set; keep one",
  },
  // Task
  {
    rule: 'Resource required',
    value: graph({ A: { Type: 'Task', End: true } }),
    path: '/States/A/Resource',
    message: "missing required field 'Resource'",
  },
  {
    rule: 'Resource form',
    value: graph({ A: task({ Resource: 'arn:aws:sqs:us-east-1:1:q' }) }),
    path: '/States/A/Resource',
    message:
      "unsupported resource 'arn:aws:sqs:us-east-1:1:q' (expected a Lambda function ARN, arn:aws:states:::SERVICE:ACTION[.sync|.sync:2|.waitForTaskToken], arn:aws:states:::aws-sdk:SERVICE:ACTION or arn:aws:states:REGION:ACCOUNT:activity:NAME)",
  },
  {
    rule: 'allowlist',
    allowlist: ['arn:aws:lambda:*:*:function:other-*'],
    value: graph({ A: task() }),
    path: '/States/A/Resource',
    message: `resource '${FN}' is not in the resource allowlist`,
  },
  {
    rule: 'lambda:invoke needs FunctionName',
    value: graph({ A: task({ Resource: 'arn:aws:states:::lambda:invoke', Parameters: { Payload: {} } }) }),
    path: '/States/A/Parameters',
    message: "'arn:aws:states:::lambda:invoke' needs Parameters.FunctionName",
  },
  {
    rule: 'lambda:invoke FunctionName allowlisted',
    allowlist: ['arn:aws:states:::lambda:invoke', 'arn:aws:lambda:*:*:function:seed004-*'],
    value: graph({
      A: task({ Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'evil' } }),
    }),
    path: '/States/A/Parameters/FunctionName',
    message: "function 'evil' is not in the resource allowlist",
  },
  {
    rule: 'heartbeat below timeout',
    value: graph({ A: task({ TimeoutSeconds: 10, HeartbeatSeconds: 10 }) }),
    path: '/States/A/HeartbeatSeconds',
    message: "'HeartbeatSeconds' (10) must be less than 'TimeoutSeconds' (10)",
  },
  {
    rule: 'TimeoutSeconds positive integer',
    value: graph({ A: task({ TimeoutSeconds: 0 }) }),
    path: '/States/A/TimeoutSeconds',
    message: "'TimeoutSeconds' must be an integer > 0",
  },
  {
    rule: 'TimeoutSeconds xor Path',
    value: graph({ A: task({ TimeoutSeconds: 5, TimeoutSecondsPath: '$.t' }) }),
    path: '/States/A/TimeoutSecondsPath',
    message:
      "only one of 'TimeoutSeconds', 'TimeoutSecondsPath' may be set (found TimeoutSeconds, TimeoutSecondsPath)",
  },
  // Retry / Catch
  {
    rule: 'ErrorEquals required',
    value: graph({ A: task({ Retry: [{}] }) }),
    path: '/States/A/Retry/0/ErrorEquals',
    message: "Retry rule needs 'ErrorEquals', a non-empty list of error names",
  },
  {
    rule: 'States.ALL alone',
    value: graph({ A: task({ Retry: [{ ErrorEquals: ['States.ALL', 'X'] }] }) }),
    path: '/States/A/Retry/0/ErrorEquals',
    message: "'States.ALL' must appear alone in ErrorEquals",
  },
  {
    rule: 'States.ALL last',
    value: graph({
      A: task({
        Catch: [
          { ErrorEquals: ['States.ALL'], Next: 'Done' },
          { ErrorEquals: ['X'], Next: 'Done' },
        ],
      }),
    }),
    path: '/States/A/Catch/0/ErrorEquals',
    message: "the Catch rule with 'States.ALL' must be the last one",
  },
  {
    rule: 'MaxAttempts >= 0',
    value: graph({ A: task({ Retry: [{ ErrorEquals: ['X'], MaxAttempts: -1 }] }) }),
    path: '/States/A/Retry/0/MaxAttempts',
    message: "'MaxAttempts' must be an integer >= 0",
  },
  {
    rule: 'IntervalSeconds >= 1',
    value: graph({ A: task({ Retry: [{ ErrorEquals: ['X'], IntervalSeconds: 0 }] }) }),
    path: '/States/A/Retry/0/IntervalSeconds',
    message: "'IntervalSeconds' must be an integer >= 1",
  },
  {
    rule: 'BackoffRate >= 1',
    value: graph({ A: task({ Retry: [{ ErrorEquals: ['X'], BackoffRate: 0.5 }] }) }),
    path: '/States/A/Retry/0/BackoffRate',
    message: "'BackoffRate' must be a number >= 1",
  },
  {
    rule: 'MaxDelaySeconds > 0',
    value: graph({ A: task({ Retry: [{ ErrorEquals: ['X'], MaxDelaySeconds: 0 }] }) }),
    path: '/States/A/Retry/0/MaxDelaySeconds',
    message: "'MaxDelaySeconds' must be an integer > 0",
  },
  {
    rule: 'JitterStrategy',
    value: graph({ A: task({ Retry: [{ ErrorEquals: ['X'], JitterStrategy: 'SOME' }] }) }),
    path: '/States/A/Retry/0/JitterStrategy',
    message: "'JitterStrategy' must be 'FULL' or 'NONE'",
  },
  {
    rule: 'Catch Next exists',
    value: graph({ A: task({ Catch: [{ ErrorEquals: ['X'], Next: 'Gone' }] }) }),
    path: '/States/A/Catch/0/Next',
    message: "'Next' names state 'Gone', which does not exist in this scope",
  },
  {
    rule: 'unknown Catch field',
    value: graph({ A: task({ Catch: [{ ErrorEquals: ['X'], Next: 'Done', MaxAttempts: 1 }] }) }),
    path: '/States/A/Catch/0/MaxAttempts',
    message: "unknown field 'MaxAttempts' in a Catch rule",
  },
  // Choice
  {
    rule: 'Choices non-empty',
    value: graph({ C: { Type: 'Choice', Choices: [], Default: 'Done' } }),
    path: '/States/C/Choices',
    message: "'Choices' must be a non-empty list of rules",
  },
  {
    rule: 'exactly one operator',
    value: graph({
      C: {
        Type: 'Choice',
        Choices: [{ Variable: '$.a', StringEquals: 'x', NumericEquals: 1, Next: 'Done' }],
      },
    }),
    path: '/States/C/Choices/0',
    message: 'a Choice rule needs exactly one comparison operator (found StringEquals, NumericEquals)',
  },
  {
    rule: 'no operator',
    value: graph({ C: { Type: 'Choice', Choices: [{ Variable: '$.a', Next: 'Done' }] } }),
    path: '/States/C/Choices/0',
    message: 'a Choice rule needs exactly one comparison operator (found none)',
  },
  {
    rule: 'operand type',
    value: graph({ C: { Type: 'Choice', Choices: [{ Variable: '$.a', NumericEquals: '1', Next: 'Done' }] } }),
    path: '/States/C/Choices/0/NumericEquals',
    message: "'NumericEquals' takes a number",
  },
  {
    rule: 'type test takes a boolean',
    value: graph({ C: { Type: 'Choice', Choices: [{ Variable: '$.a', IsPresent: 'yes', Next: 'Done' }] } }),
    path: '/States/C/Choices/0/IsPresent',
    message: "'IsPresent' takes a boolean",
  },
  {
    rule: 'timestamp operand',
    value: graph({
      C: { Type: 'Choice', Choices: [{ Variable: '$.a', TimestampEquals: '2026-01-01', Next: 'Done' }] },
    }),
    path: '/States/C/Choices/0/TimestampEquals',
    message: "'TimestampEquals' takes an RFC 3339 timestamp string (e.g. 2026-01-31T12:00:00Z)",
  },
  {
    rule: 'Path variant takes a path',
    value: graph({
      C: { Type: 'Choice', Choices: [{ Variable: '$.a', StringEqualsPath: 'b', Next: 'Done' }] },
    }),
    path: '/States/C/Choices/0/StringEqualsPath',
    message: "'StringEqualsPath': path 'b' must start with '$'",
  },
  {
    rule: 'StringMatches escapes',
    value: graph({
      C: { Type: 'Choice', Choices: [{ Variable: '$.a', StringMatches: 'a\\b*', Next: 'Done' }] },
    }),
    path: '/States/C/Choices/0/StringMatches',
    message: "StringMatches pattern 'a\\b*': a backslash may only escape '*' or '\\' (offset 1)",
  },
  {
    rule: 'unknown operator',
    value: graph({
      C: { Type: 'Choice', Choices: [{ Variable: '$.a', StringContains: 'x', Next: 'Done' }] },
    }),
    path: '/States/C/Choices/0/StringContains',
    message: "unknown field 'StringContains' in a Choice rule (not a comparison operator)",
  },
  {
    rule: 'top-level rule needs Next',
    value: graph({ C: { Type: 'Choice', Choices: [{ Variable: '$.a', IsNull: true }], Default: 'Done' } }),
    path: '/States/C/Choices/0/Next',
    message: "missing required field 'Next'",
  },
  {
    rule: 'nested rule has no Next',
    value: graph({
      C: {
        Type: 'Choice',
        Choices: [{ Not: { Variable: '$.a', IsNull: true, Next: 'Done' }, Next: 'Done' }],
      },
    }),
    path: '/States/C/Choices/0/Not/Next',
    message: "a nested Choice rule (inside And/Or/Not) must not have 'Next'",
  },
  {
    rule: 'And non-empty',
    value: graph({ C: { Type: 'Choice', Choices: [{ And: [], Next: 'Done' }] } }),
    path: '/States/C/Choices/0/And',
    message: "'And' must be a non-empty list of rules",
  },
  {
    rule: 'boolean rule has no Variable',
    value: graph({
      C: {
        Type: 'Choice',
        Choices: [{ Variable: '$.a', Or: [{ Variable: '$.a', IsNull: true }], Next: 'Done' }],
      },
    }),
    path: '/States/C/Choices/0',
    message: 'a boolean Choice rule (And/Or/Not) must not also have Variable or a comparison',
  },
  {
    rule: 'Default exists',
    value: graph({
      C: { Type: 'Choice', Choices: [{ Variable: '$.a', IsNull: true, Next: 'Done' }], Default: 'Gone' },
    }),
    path: '/States/C/Default',
    message: "'Default' names state 'Gone', which does not exist in this scope",
  },
  // Wait
  {
    rule: 'Wait needs one duration',
    value: graph({ W: { Type: 'Wait', Next: 'Done' } }),
    path: '/States/W',
    message: "exactly one of 'Seconds', 'Timestamp', 'SecondsPath', 'TimestampPath' is required",
  },
  {
    rule: 'Wait only one duration',
    value: graph({ W: { Type: 'Wait', Seconds: 1, SecondsPath: '$.s', Next: 'Done' } }),
    path: '/States/W/SecondsPath',
    message:
      "only one of 'Seconds', 'Timestamp', 'SecondsPath', 'TimestampPath' may be set (found Seconds, SecondsPath)",
  },
  {
    rule: 'Wait Timestamp RFC 3339',
    value: graph({ W: { Type: 'Wait', Timestamp: '2026-01-31 12:00:00', Next: 'Done' } }),
    path: '/States/W/Timestamp',
    message: "'Timestamp' must be an RFC 3339 timestamp (e.g. 2026-01-31T12:00:00Z)",
  },
  {
    rule: 'Wait Seconds integer',
    value: graph({ W: { Type: 'Wait', Seconds: -1, Next: 'Done' } }),
    path: '/States/W/Seconds',
    message: "'Seconds' must be an integer >= 0",
  },
  // Fail
  {
    rule: 'Fail Error xor ErrorPath',
    value: graph({ F: { Type: 'Fail', Error: 'E', ErrorPath: '$.e' } }),
    path: '/States/F/ErrorPath',
    message: "only one of 'Error', 'ErrorPath' may be set (found Error, ErrorPath)",
  },
  {
    rule: 'Fail Cause xor CausePath',
    value: graph({ F: { Type: 'Fail', Cause: 'c', CausePath: '$.c' } }),
    path: '/States/F/CausePath',
    message: "only one of 'Cause', 'CausePath' may be set (found Cause, CausePath)",
  },
  // Parallel
  {
    rule: 'Branches non-empty',
    value: graph({ P: { Type: 'Parallel', Branches: [], Next: 'Done' } }),
    path: '/States/P/Branches',
    message: "'Branches' must be a non-empty list of state machines",
  },
  {
    rule: 'branch is its own scope',
    value: graph({
      P: {
        Type: 'Parallel',
        Branches: [{ StartAt: 'X', States: { X: { Type: 'Pass', Next: 'Done' } } }],
        Next: 'Done',
      },
    }),
    path: '/States/P/Branches/0/States/X/Next',
    message: "'Next' names state 'Done', which does not exist in this scope",
  },
  {
    rule: 'names unique across scopes',
    value: graph({
      P: {
        Type: 'Parallel',
        Branches: [{ StartAt: 'Done', States: { Done: { Type: 'Succeed' } } }],
        Next: 'Done',
      },
    }),
    path: '/States/Done',
    message:
      "state name 'Done' is already used at /States/P/Branches/0/States/Done; names must be unique in the whole graph",
  },
  {
    rule: 'branch fields',
    value: graph({
      P: {
        Type: 'Parallel',
        Branches: [{ StartAt: 'X', States: { X: { Type: 'Succeed' } }, Mode: 'express' }],
        Next: 'Done',
      },
    }),
    path: '/States/P/Branches/0/Mode',
    message: "unknown field 'Mode' in a Parallel branch",
  },
  // Map
  {
    rule: 'Map needs a processor',
    value: graph({ M: { Type: 'Map', Next: 'Done' } }),
    path: '/States/M',
    message: "exactly one of 'ItemProcessor', 'Iterator' is required",
  },
  {
    rule: 'ItemProcessor xor Iterator',
    value: graph({
      M: {
        Type: 'Map',
        ItemProcessor: { StartAt: 'X', States: { X: { Type: 'Succeed' } } },
        Iterator: { StartAt: 'Y', States: { Y: { Type: 'Succeed' } } },
        Next: 'Done',
      },
    }),
    path: '/States/M/Iterator',
    message: "only one of 'ItemProcessor', 'Iterator' may be set (found ItemProcessor, Iterator)",
  },
  {
    rule: 'ItemSelector xor Parameters',
    value: graph({
      M: {
        Type: 'Map',
        ItemSelector: {},
        Parameters: {},
        ItemProcessor: { StartAt: 'X', States: { X: { Type: 'Succeed' } } },
        Next: 'Done',
      },
    }),
    path: '/States/M/Parameters',
    message: "only one of 'ItemSelector', 'Parameters' may be set (found ItemSelector, Parameters)",
  },
  {
    rule: 'MaxConcurrency >= 0',
    value: graph({
      M: {
        Type: 'Map',
        MaxConcurrency: -2,
        ItemProcessor: { StartAt: 'X', States: { X: { Type: 'Succeed' } } },
        Next: 'Done',
      },
    }),
    path: '/States/M/MaxConcurrency',
    message: "'MaxConcurrency' must be an integer >= 0",
  },
  {
    rule: 'tolerated percentage range',
    value: graph({
      M: {
        Type: 'Map',
        ToleratedFailurePercentage: 101,
        ItemProcessor: { StartAt: 'X', States: { X: { Type: 'Succeed' } } },
        Next: 'Done',
      },
    }),
    path: '/States/M/ToleratedFailurePercentage',
    message: "'ToleratedFailurePercentage' must be a number from 0 to 100",
  },
  {
    rule: 'distributed fields only in a distributed Map',
    value: graph({
      M: {
        Type: 'Map',
        ItemReader: {},
        ItemProcessor: { StartAt: 'X', States: { X: { Type: 'Succeed' } } },
        Next: 'Done',
      },
    }),
    path: '/States/M/ItemReader',
    message:
      "'ItemReader' is only allowed in a distributed Map (ItemProcessor.ProcessorConfig.Mode: DISTRIBUTED)",
  },
  {
    rule: 'processor Mode INLINE or DISTRIBUTED',
    value: graph({
      M: {
        Type: 'Map',
        ItemProcessor: {
          ProcessorConfig: { Mode: 'REMOTE' },
          StartAt: 'X',
          States: { X: { Type: 'Succeed' } },
        },
        Next: 'Done',
      },
    }),
    path: '/States/M/ItemProcessor/ProcessorConfig/Mode',
    message: "ProcessorConfig.Mode must be 'INLINE' or 'DISTRIBUTED'",
  },
  {
    rule: 'distributed Map needs ExecutionType',
    value: graph({
      M: {
        Type: 'Map',
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED' },
          StartAt: 'X',
          States: { X: { Type: 'Succeed' } },
        },
        Next: 'Done',
      },
    }),
    path: '/States/M/ItemProcessor/ProcessorConfig',
    message: "a distributed Map needs 'ProcessorConfig.ExecutionType' (STANDARD or EXPRESS)",
  },
  {
    rule: 'ItemReader resource',
    value: graph({
      M: {
        Type: 'Map',
        ItemReader: { Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: 'b' } },
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: 'X',
          States: { X: { Type: 'Succeed' } },
        },
        Next: 'Done',
      },
    }),
    path: '/States/M/ItemReader/Resource',
    message:
      "'ItemReader.Resource' must be one of arn:aws:states:::s3:getObject, arn:aws:states:::s3:listObjectsV2",
  },
  {
    rule: 'getObject needs an InputType',
    value: graph({
      M: {
        Type: 'Map',
        ItemReader: { Resource: 'arn:aws:states:::s3:getObject', Parameters: { Bucket: 'b', Key: 'k' } },
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: 'X',
          States: { X: { Type: 'Succeed' } },
        },
        Next: 'Done',
      },
    }),
    path: '/States/M/ItemReader',
    message: "'ItemReader' with s3:getObject needs 'ReaderConfig' with 'InputType'",
  },
  {
    rule: 'CSVHeaderLocation GIVEN needs CSVHeaders',
    value: graph({
      M: {
        Type: 'Map',
        ItemReader: {
          Resource: 'arn:aws:states:::s3:getObject',
          Parameters: { Bucket: 'b', Key: 'k' },
          ReaderConfig: { InputType: 'CSV', CSVHeaderLocation: 'GIVEN' },
        },
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: 'X',
          States: { X: { Type: 'Succeed' } },
        },
        Next: 'Done',
      },
    }),
    path: '/States/M/ItemReader/ReaderConfig',
    message: "'CSVHeaderLocation: GIVEN' needs 'CSVHeaders'",
  },
  {
    rule: 'MaxItems bounds',
    value: graph({
      M: {
        Type: 'Map',
        ItemReader: {
          Resource: 'arn:aws:states:::s3:getObject',
          Parameters: { Bucket: 'b', Key: 'k' },
          ReaderConfig: { InputType: 'JSON', MaxItems: 0 },
        },
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: 'X',
          States: { X: { Type: 'Succeed' } },
        },
        Next: 'Done',
      },
    }),
    path: '/States/M/ItemReader/ReaderConfig/MaxItems',
    message: "'MaxItems' must be an integer from 1 to 100000000",
  },
  {
    rule: 'ItemsPath with ItemReader',
    value: graph({
      M: {
        Type: 'Map',
        ItemsPath: '$.items',
        ItemReader: { Resource: 'arn:aws:states:::s3:listObjectsV2', Parameters: { Bucket: 'b' } },
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: 'X',
          States: { X: { Type: 'Succeed' } },
        },
        Next: 'Done',
      },
    }),
    path: '/States/M/ItemsPath',
    message: "'ItemsPath' cannot be used with 'ItemReader': the reader supplies the items",
  },
  {
    rule: 'ItemBatcher needs a limit',
    value: graph({
      M: {
        Type: 'Map',
        ItemBatcher: { BatchInput: {} },
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: 'X',
          States: { X: { Type: 'Succeed' } },
        },
        Next: 'Done',
      },
    }),
    path: '/States/M/ItemBatcher',
    message:
      "'ItemBatcher' needs at least one of 'MaxItemsPerBatch', 'MaxInputBytesPerBatch' (or their Path forms)",
  },
  {
    rule: 'MaxInputBytesPerBatch at most 256 KiB',
    value: graph({
      M: {
        Type: 'Map',
        ItemBatcher: { MaxInputBytesPerBatch: 300000 },
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: 'X',
          States: { X: { Type: 'Succeed' } },
        },
        Next: 'Done',
      },
    }),
    path: '/States/M/ItemBatcher/MaxInputBytesPerBatch',
    message: "'MaxInputBytesPerBatch' must be an integer from 1 to 262144",
  },
  {
    rule: 'ResultWriter resource',
    value: graph({
      M: {
        Type: 'Map',
        ResultWriter: { Resource: 'arn:aws:states:::s3:getObject', Parameters: { Bucket: 'b' } },
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: 'X',
          States: { X: { Type: 'Succeed' } },
        },
        Next: 'Done',
      },
    }),
    path: '/States/M/ResultWriter/Resource',
    message: "'ResultWriter.Resource' must be arn:aws:states:::s3:putObject",
  },
  {
    rule: 'ResultWriter WriterConfig values',
    value: graph({
      M: {
        Type: 'Map',
        ResultWriter: { WriterConfig: { OutputType: 'CSV', Transformation: 'FLATTEN' } },
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: 'X',
          States: { X: { Type: 'Succeed' } },
        },
        Next: 'Done',
      },
    }),
    path: '/States/M/ResultWriter/WriterConfig/OutputType',
    message: '\'ResultWriter.WriterConfig.OutputType\' must be one of JSON, JSONL, not "CSV"',
  },
  {
    rule: 'ResultWriter with neither S3 nor WriterConfig',
    value: graph({
      M: {
        Type: 'Map',
        ResultWriter: {},
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: 'X',
          States: { X: { Type: 'Succeed' } },
        },
        Next: 'Done',
      },
    }),
    path: '/States/M/ResultWriter',
    message: "'ResultWriter' needs 'Resource' and its arguments, or 'WriterConfig'",
  },
  {
    rule: 'ItemReader resource outside the allowlist',
    value: graph({
      M: {
        Type: 'Map',
        ItemReader: { Resource: 'arn:aws:states:::s3:getObject', Parameters: { Bucket: 'b', Key: 'k' } },
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: 'X',
          States: { X: { Type: 'Succeed' } },
        },
        Next: 'Done',
      },
    }),
    allowlist: ['arn:aws:states:::s3:putObject'],
    path: '/States/M/ItemReader/Resource',
    message: "resource 'arn:aws:states:::s3:getObject' is not in the resource allowlist",
  },
  {
    rule: 'Label characters',
    value: graph({
      M: {
        Type: 'Map',
        Label: 'my label',
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: 'X',
          States: { X: { Type: 'Succeed' } },
        },
        Next: 'Done',
      },
    }),
    path: '/States/M/Label',
    message:
      "'Label' may not contain whitespace, brackets, wildcards or the characters \" # % \\ ^ | ~ ` $ & , ; : /",
  },
];

describe('validateGraph rules', () => {
  it.each(cases)('$rule', ({ value, path, message, allowlist }) => {
    // Act
    const problems = validateGraph(value, allowlist === undefined ? {} : { allowlist });

    // Assess
    expect(problems.map((p) => ({ path: p.path, message: p.message }))).toContainEqual({ path, message });
  });
});

describe('validateGraph', () => {
  it('accepts a graph using every state type and the runtime fields', () => {
    // Prepare
    const value = {
      Engine: 'orders',
      Mode: 'express',
      Match: { source: ['shop'], detail: { kind: [{ prefix: 'o' }] } },
      TimeoutSeconds: 60,
      StartAt: 'T',
      States: {
        T: task({
          Next: 'C',
          Retry: [{ ErrorEquals: ['X'], MaxAttempts: 0 }, { ErrorEquals: ['States.ALL'] }],
          Catch: [{ ErrorEquals: ['States.ALL'], Next: 'F', ResultPath: '$.err' }],
          Parameters: { 'a.$': "States.Format('{}', $.x)", b: [{ 'c.$': '$$.Execution.Id' }] },
        }),
        C: {
          Type: 'Choice',
          Choices: [{ Not: { Variable: '$.x', StringMatches: 'log-\\*-*' }, Next: 'W' }],
          Default: 'P',
        },
        W: { Type: 'Wait', Timestamp: '2026-01-31T12:00:00.5+01:00', Next: 'P' },
        P: {
          Type: 'Parallel',
          Branches: [
            {
              StartAt: 'B1',
              States: { B1: { Type: 'Pass', Result: { 'x.$': 'not a template' }, End: true } },
            },
          ],
          Next: 'M',
        },
        M: {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemSelector: { 'i.$': '$$.Map.Item.Value' },
          MaxConcurrency: 2,
          ToleratedFailurePercentage: 10,
          Iterator: { StartAt: 'I', States: { I: { Type: 'Succeed' } } },
          End: true,
        },
        F: { Type: 'Fail', ErrorPath: '$.err.Error', CausePath: "States.Format('bad {}', $.err.Cause)" },
      },
    };

    // Act
    const problems = validateGraph(value, { allowlist: ['arn:aws:lambda:*:*:function:seed004-*'] });

    // Assess
    expect(problems).toEqual([]);
  });

  it('reports every problem at once, with state, file and position', () => {
    // Prepare
    const value = graph({ A: task({ Next: 'Gone', TimeoutSeconds: -1 }), B: { Type: 'Pass' } });
    const positionOf = (path: string) => (path === '/States/A' ? { line: 7, column: 5 } : undefined);

    // Act
    const problems = validateGraph(value, { file: 'g.hjson', positionOf });

    // Assess
    expect(problems).toContainEqual({
      file: 'g.hjson',
      path: '/States/A/Next',
      state: 'A',
      line: 7,
      column: 5,
      message: "'Next' names state 'Gone', which does not exist in this scope",
    });
    expect(problems.map((p) => p.path)).toEqual(
      expect.arrayContaining(['/States/A/Next', '/States/A/TimeoutSeconds', '/States/B', '/States/Done']),
    );
    expect(problems.length).toBeGreaterThanOrEqual(5);
  });

  it('adds the source hint to a problem at exactly the hinted path, and nowhere else', () => {
    // Prepare
    const value = graph({ A: task({ Next: 'Done } ]' }), B: { Type: 'Pass' } });
    const hintAt = (path: string) => (path === '/States/A/Next' ? 'quote the value' : undefined);

    // Act
    const problems = validateGraph(value, { hintAt });

    // Assess
    expect(problems).toContainEqual({
      path: '/States/A/Next',
      state: 'A',
      message: "'Next' names state 'Done } ]', which does not exist in this scope (hint: quote the value)",
    });
    expect(problems.filter((p) => p.message.includes('hint'))).toHaveLength(1);
  });

  it('leaves unsubstituted placeholders for the stage variables to fill', () => {
    const value = graph({ A: task({ Resource: `\${StepArn}`, TimeoutSeconds: `\${Timeout}` }) });
    expect(validateGraph(value, { allowlist: ['arn:aws:lambda:*'] })).toEqual([]);
  });
});

describe('validateGraph on values not produced by the parser', () => {
  it('refuses state names that would reach a prototype', () => {
    const states = JSON.parse('{"constructor": {"Type": "Succeed"}}') as unknown;
    const problems = validateGraph({ StartAt: 'constructor', States: states });
    expect(problems).toContainEqual({
      path: '/States/constructor',
      state: 'constructor',
      message: "'constructor' cannot be a state name",
    });
  });
});

describe('validateGraph reports each problem once', () => {
  it.each(cases)('$rule', ({ value, allowlist }) => {
    // Act
    const problems = validateGraph(value, allowlist === undefined ? {} : { allowlist });

    // Assess
    const keys = problems.map((p) => `${p.path}: ${p.message}`);
    expect(keys).toEqual([...new Set(keys)]);
  });
});
