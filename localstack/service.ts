/**
 * The contract between the edge and an in-process service emulation (the Lambda Invoke host, the
 * Redshift Data API). The edge buffers the request and hands it over; the service answers with an
 * AWS-shaped response. Emulators that are their own HTTP servers (kinesalite, dynalite, s3rver) are
 * proxied instead and do not implement this.
 */
import type { AwsEnvironment } from '../router/aws/index.ts';

/** A buffered HTTP request as it reached the edge. */
export interface EdgeRequest {
  readonly method: string;
  /** Path and query, as received (e.g. `/2015-03-31/functions/echo/invocations?Qualifier=1`). */
  readonly url: string;
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** Region from the SigV4 credential scope, when signed. */
  readonly region: string;
}

/** The response a service emulation returns; the edge writes it unchanged. */
export interface EdgeResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer | string;
}

/**
 * What a registered emulation learns of the stack it runs in: the edge's endpoint and credentials, so it
 * can reach the other services (SNS invoking a Lambda function, EventBridge putting on a Kinesis stream)
 * through their real protocols, as the services do in AWS.
 */
export interface StackContext {
  readonly aws: AwsEnvironment;
}

/** An in-process service behind the edge, keyed by its SigV4 signing name (`lambda`, `redshift-data`). */
export interface ServiceEmulator {
  /** The SigV4 signing name this emulator answers for. */
  readonly signingName: string;
  handle(request: EdgeRequest): Promise<EdgeResponse>;
  /** Called once the stack serves, before the first request; emulations that call no other service omit it. */
  attach?(context: StackContext): void;
  /** Releases what the emulator holds (worker pools, databases); called when the stack stops. */
  close(): Promise<void>;
}
