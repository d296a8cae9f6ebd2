/**
 * ARNs of the local messaging services. Subscriptions and rule targets name their endpoints by ARN (a
 * queue, a function, a stream, a topic), so the emulations build and read them the same way.
 */

/** The account id every local ARN carries; LocalStack and the Lambda host use the same one. */
export const LOCAL_ACCOUNT = '000000000000';

/** The parts of `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`. */
export interface ArnParts {
  readonly service: string;
  readonly region: string;
  readonly account: string;
  /** Everything after the account, e.g. `my-queue`, `function:echo`, `stream/router-events`. */
  readonly resource: string;
}

/** Builds `arn:aws:SERVICE:REGION:000000000000:RESOURCE`. */
export function localArn(service: string, region: string, resource: string): string {
  return `arn:aws:${service}:${region}:${LOCAL_ACCOUNT}:${resource}`;
}

/** Reads an ARN; undefined when the text is not one. */
export function parseArn(arn: string): ArnParts | undefined {
  const match = /^arn:aws[a-z-]*:([a-z0-9-]+):([a-z0-9-]*):(\d{12}|):(.+)$/.exec(arn);
  if (match === null) return undefined;
  const [, service = '', region = '', account = '', resource = ''] = match;
  return { service, region, account, resource };
}
