/**
 * Every Lambda of the project is built the same way: Node.js 22 on arm64 (Graviton: cheaper per ms and
 * as fast for this I/O-bound code), bundled by the local esbuild with the shared settings, logging to
 * its own log group with a retention (text log format: Powertools already writes JSON, and Lambda's
 * JSON format would filter its levels a second time), under a role that starts with no permissions at all (no
 * AWSLambdaBasicExecutionRole managed policy; logging is granted on its log group alone).
 */
import path from 'node:path';
import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { cdkBundlingOptions, REPO_ROOT } from '../bundling.ts';

/** What differs between the project's functions. */
export interface BundledFunctionProps {
  /** Entry module relative to the repository root (or absolute); it exports `handler`. */
  readonly entry: string;
  readonly functionName?: string;
  readonly description: string;
  readonly timeout: Duration;
  readonly memorySize: number;
  readonly environment?: Readonly<Record<string, string>>;
  readonly reservedConcurrentExecutions?: number;
  readonly logRetention: RetentionDays;
  /** Keep the log group when the stack is deleted. */
  readonly retainLogs: boolean;
}

/** A NodejsFunction with its role and log group. */
export class BundledFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: BundledFunctionProps) {
    super(scope, id);
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.functionName ?? id}`,
    });
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.retainLogs ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.function = new NodejsFunction(this, 'Function', {
      entry: path.resolve(REPO_ROOT, props.entry),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      description: props.description,
      timeout: props.timeout,
      memorySize: props.memorySize,
      role: this.role,
      logGroup: this.logGroup,
      bundling: cdkBundlingOptions(),
      ...(props.functionName === undefined ? {} : { functionName: props.functionName }),
      ...(props.environment === undefined ? {} : { environment: { ...props.environment } }),
      ...(props.reservedConcurrentExecutions === undefined
        ? {}
        : { reservedConcurrentExecutions: props.reservedConcurrentExecutions }),
    });
    this.logGroup.grantWrite(this.role);
  }
}
