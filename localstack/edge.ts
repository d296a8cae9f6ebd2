/**
 * The edge: one HTTP endpoint (`http://127.0.0.1:4566`) in front of every local AWS emulator, so the SDK
 * clients, the CLI and the tests need a single `AWS_ENDPOINT_URL`, exactly as with LocalStack.
 *
 * Each request is routed by the service it was signed for, read before the body arrives:
 *
 * ```
 * Authorization: AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/kinesis/aws4_request, ...
 *                                                                    ^^^^^^^ signing name
 * ?X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Fs3%2Faws4_request   (presigned URL)
 * X-Amz-Target: DynamoDB_20120810.PutItem                             (unsigned JSON protocols)
 * POST /2015-03-31/functions/NAME/invocations                         (unsigned Lambda Invoke)
 * ```
 *
 * The edge accepts HTTP/1.1 and cleartext HTTP/2 on the same port (the SDK's Kinesis client defaults to
 * HTTP/2, which the emulators do not speak). Emulators that are HTTP servers themselves (kinesalite, dynalite, s3rver, kinesis-mock) get the request
 * streamed through unchanged; in-process emulations (`ServiceEmulator`) get it buffered, as do the
 * operations a proxied backend hands to one (`inProcess`: dynalite's missing PartiQL). Anything the
 * edge cannot place is answered with an AWS-shaped error, never a crash, and the edge keeps serving.
 * When armed, a fault injector (`faults.ts`) decides per routed request whether it is held, throttled,
 * failed, or its connection dropped before or after the service acts.
 */
import { randomUUID } from 'node:crypto';
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import {
  createServer as createHttp2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
} from 'node:http2';
import { type AddressInfo, createServer as createNetServer, type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { AwsChunkedDecoder, isAwsChunked, withoutAwsChunked } from './aws-chunked.ts';
import { type FaultDecision, type FaultInjector, FaultSpecError, faultResponse } from './faults.ts';
import type { EdgeRequest, EdgeResponse, ServiceEmulator } from './service.ts';

/** Where the edge sends the requests signed for one service. */
export type EdgeBackend =
  | {
      readonly kind: 'proxy';
      readonly host: string;
      readonly port: number;
      /**
       * Replaces the access key in the credential scope, for emulators that only know one key (s3rver
       * knows `S3RVER` and does not verify SigV4 signatures, so the rest of the request passes as signed).
       */
      readonly accessKeyId?: string;
      /** Decode `Content-Encoding: aws-chunked` bodies first, for emulators that store them verbatim. */
      readonly decodeAwsChunked?: boolean;
      /**
       * Operations (the action of `X-Amz-Target`) answered by `emulator` in process instead of proxied, for
       * the APIs the proxied emulator lacks (dynalite has no PartiQL). Counting and faults apply to them as
       * to every proxied request.
       */
      readonly inProcess?: { readonly operations: ReadonlySet<string>; readonly emulator: ServiceEmulator };
    }
  | { readonly kind: 'emulator'; readonly emulator: ServiceEmulator };

/** What the edge learned about a request from its first line and headers. */
export interface ServiceIdentity {
  /** SigV4 signing name (`kinesis`, `dynamodb`, `s3`, `lambda`, `redshift-data`), when found. */
  readonly service?: string;
  /** Region from the credential scope, `us-east-1` when the request is not signed. */
  readonly region: string;
  /** Which part of the request named the service. */
  readonly via: 'authorization' | 'presigned-url' | 'target' | 'path' | 'none';
  /** Why a present Authorization header could not be read. */
  readonly problem?: string;
}

/** The parts of a SigV4 credential `AKID/DATE/REGION/SERVICE/aws4_request`. */
export interface CredentialScope {
  readonly accessKeyId: string;
  readonly date: string;
  readonly region: string;
  readonly service: string;
}

const DEFAULT_REGION = 'us-east-1';

/** How long an idle client connection stays open. */
const IDLE_CONNECTION_MS = 60_000;

/** JSON-protocol target prefixes, for requests that carry no signature. */
const TARGET_PREFIXES: ReadonlyArray<readonly [prefix: string, service: string]> = [
  ['Kinesis_20131202.', 'kinesis'],
  ['DynamoDB_20120810.', 'dynamodb'],
  ['RedshiftData.', 'redshift-data'],
  ['AmazonSQS.', 'sqs'],
  ['AWSEvents.', 'events'],
  ['secretsmanager.', 'secretsmanager'],
];

const LAMBDA_PATH = '/2015-03-31/functions/';
/** The local SNS's inbox of email notifications (`GET /_local/sns/messages`), read without signing. */
const SNS_LOCAL_PATH = '/_local/sns/';
/** LocalStack's health endpoint path, answered by the edge itself. */
const HEALTH_PATH = '/_localstack/health';
/** The fault injector's switch and counters, answered by the edge itself. */
const FAULTS_PATH = '/_localstack/faults';

/** Headers that describe one connection, not the request, and so are never forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
  'expect',
]);

/** A request as either protocol delivers it (the SDK's Kinesis client speaks HTTP/2 by default). */
type IncomingRequest = IncomingMessage | Http2ServerRequest;
/** The response of either protocol. */
type OutgoingResponse = ServerResponse | Http2ServerResponse;

/** Parses `AKID/DATE/REGION/SERVICE/aws4_request`; undefined when the value is not a SigV4 scope. */
export function parseCredentialScope(credential: string): CredentialScope | undefined {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request') return undefined;
  const [accessKeyId, date, region, service] = parts;
  if (!accessKeyId || !date || !region || !service) return undefined;
  return { accessKeyId, date, region, service };
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** The action a JSON-protocol request names (`GetRecords` of `Kinesis_20131202.GetRecords`), for per-operation faults. */
function operationOf(headers: IncomingHttpHeaders): string | undefined {
  const target = headerValue(headers, 'x-amz-target');
  if (target === undefined) return undefined;
  return target.slice(target.lastIndexOf('.') + 1) || undefined;
}

/** The in-process emulator that answers a request: the backend's own, or a proxy's `inProcess` one. */
function emulatorFor(backend: EdgeBackend, headers: IncomingHttpHeaders): ServiceEmulator | undefined {
  if (backend.kind === 'emulator') return backend.emulator;
  if (backend.inProcess === undefined) return undefined;
  const operation = operationOf(headers);
  return operation !== undefined && backend.inProcess.operations.has(operation)
    ? backend.inProcess.emulator
    : undefined;
}

function queryParam(url: string, name: string): string | undefined {
  const question = url.indexOf('?');
  if (question < 0) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of new URLSearchParams(url.slice(question + 1))) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/**
 * Tells which service a request is for, from the SigV4 credential scope first (it is what AWS itself
 * routes on), then the JSON target, then the Lambda path. Pure, so the routing rules are unit-tested.
 */
export function identifyService(url: string, headers: IncomingHttpHeaders): ServiceIdentity {
  let problem: string | undefined;
  const authorization = headerValue(headers, 'authorization');
  if (authorization !== undefined) {
    const credential = /Credential=([^,\s]+)/.exec(authorization)?.[1];
    const scope = credential === undefined ? undefined : parseCredentialScope(credential);
    if (scope !== undefined) return { service: scope.service, region: scope.region, via: 'authorization' };
    problem = authorization.startsWith('AWS4-HMAC-SHA256')
      ? 'the Authorization header has no Credential=AKID/DATE/REGION/SERVICE/aws4_request scope'
      : `the Authorization header uses '${authorization.split(' ')[0] ?? ''}', the edge reads only AWS4-HMAC-SHA256`;
  }
  const presigned = queryParam(url, 'X-Amz-Credential');
  if (presigned !== undefined) {
    const scope = parseCredentialScope(presigned);
    if (scope !== undefined) return { service: scope.service, region: scope.region, via: 'presigned-url' };
    problem = 'the X-Amz-Credential query parameter is not AKID/DATE/REGION/SERVICE/aws4_request';
  }
  const target = headerValue(headers, 'x-amz-target');
  if (target !== undefined) {
    const match = TARGET_PREFIXES.find(([prefix]) => target.startsWith(prefix));
    if (match !== undefined) return { service: match[1], region: DEFAULT_REGION, via: 'target' };
  }
  if (url.startsWith(LAMBDA_PATH)) return { service: 'lambda', region: DEFAULT_REGION, via: 'path' };
  if (url.startsWith(SNS_LOCAL_PATH)) return { service: 'sns', region: DEFAULT_REGION, via: 'path' };
  return problem === undefined
    ? { region: DEFAULT_REGION, via: 'none' }
    : { region: DEFAULT_REGION, via: 'none', problem };
}

/** Replaces the access key in an Authorization header's credential scope. */
export function rewriteAuthorizationKey(authorization: string, accessKeyId: string): string {
  return authorization.replace(/Credential=[^/,\s]*\//, `Credential=${accessKeyId}/`);
}

/** Replaces the access key in a presigned URL's `X-Amz-Credential` parameter, leaving the rest as sent. */
export function rewritePresignedKey(url: string, accessKeyId: string): string {
  const question = url.indexOf('?');
  if (question < 0) return url;
  const pairs = url
    .slice(question + 1)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      if (equals < 0 || pair.slice(0, equals).toLowerCase() !== 'x-amz-credential') return pair;
      let value: string;
      try {
        value = decodeURIComponent(pair.slice(equals + 1).replace(/\+/g, ' '));
      } catch {
        return pair; // Not percent-encoding: leave it for the emulator to reject.
      }
      const rest = value.slice(value.indexOf('/'));
      return `${pair.slice(0, equals)}=${encodeURIComponent(`${accessKeyId}${rest}`)}`;
    });
  return `${url.slice(0, question)}?${pairs.join('&')}`;
}

/** The error dialects AWS services speak. */
export type ErrorFormat = 'json' | 's3-xml' | 'query-xml';

/** Picks the dialect a client of this request parses its errors in. */
export function errorFormatFor(service: string | undefined, headers: IncomingHttpHeaders): ErrorFormat {
  if (service === 's3') return 's3-xml';
  const contentType = headerValue(headers, 'content-type') ?? '';
  if (contentType.includes('x-www-form-urlencoded')) return 'query-xml';
  return 'json';
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** Builds an error response the AWS SDK parses into an exception named `code`. */
export function awsError(format: ErrorFormat, status: number, code: string, message: string): EdgeResponse {
  const requestId = randomUUID();
  if (format === 'json') {
    return {
      status,
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-errortype': code,
        'x-amzn-requestid': requestId,
      },
      body: JSON.stringify({ __type: code, message }),
    };
  }
  const error = `<Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message>`;
  const body =
    format === 's3-xml'
      ? `<Error>${error}<RequestId>${requestId}</RequestId></Error>`
      : `<ErrorResponse><Error><Type>Sender</Type>${error}</Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  return {
    status,
    headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n${body}`,
  };
}

/** A request body larger than the edge buffers for an in-process emulator. */
class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

function readBody(request: IncomingRequest, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLargeError(`request body is over ${limit} bytes`));
        request.resume();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** Response headers minus those that describe one connection (HTTP/2 forbids them). */
function endToEnd(
  headers: Readonly<Record<string, string | string[] | number | undefined>>,
): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (value !== undefined && !HOP_BY_HOP.has(lower) && lower !== 'transfer-encoding') out[lower] = value;
  }
  return out;
}

/** Closes the connection a request came on, without an answer: the client sees a reset. */
function dropConnection(request: IncomingRequest): void {
  if ('stream' in request) request.stream.session?.destroy();
  else request.socket.destroy();
}

function send(response: OutgoingResponse, answer: EdgeResponse): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  response.writeHead(answer.status, endToEnd(answer.headers ?? {}));
  response.end(answer.body ?? '');
}

/** Options of the edge server. */
export interface EdgeOptions {
  /** Port to listen on; 0 picks a free one. Default 4566. */
  readonly port?: number;
  /** Interface to listen on. Default `127.0.0.1`. */
  readonly host?: string;
  /** Receives one line per failure the edge absorbed (upstream down, emulator threw). */
  readonly log?: (line: string) => void;
  /** Largest body buffered for an in-process emulator. Default 32 MiB. */
  readonly maxBodyBytes?: number;
  /** Sees every request the edge routes, so tests and benchmarks count round trips where they cross the wire. */
  readonly onRequest?: (info: EdgeRequestInfo) => void;
  /**
   * Decides which routed requests get a fault (throttling, a 5xx, latency, a dropped connection);
   * `GET /_localstack/faults` reads its counters and `POST` switches it (`localstack/faults.ts`).
   */
  readonly faults?: FaultInjector;
}

/** What {@link EdgeOptions.onRequest} is told about a routed request. */
export interface EdgeRequestInfo {
  /** The signing name it was routed by (`dynamodb`, `s3`, ...). */
  readonly service: string;
  /** `X-Amz-Target` of JSON protocols (`DynamoDB_20120810.PutItem`). */
  readonly target?: string;
  readonly method: string;
}

/** A running edge. */
export interface Edge {
  readonly host: string;
  readonly port: number;
  /** `http://HOST:PORT`, the value for `AWS_ENDPOINT_URL`. */
  readonly endpoint: string;
  /** Sends the requests signed for `signingName` to `backend` (replacing any earlier route). */
  route(signingName: string, backend: EdgeBackend): void;
  /** Signing names currently routed. */
  services(): readonly string[];
  /** Stops listening and drops every open connection; idempotent. */
  close(): Promise<void>;
}

/**
 * Starts the edge with no routes; the stack adds one per emulator.
 *
 * @example
 * const edge = await startEdge({ port: 0 });
 * edge.route('kinesis', { kind: 'proxy', host: '127.0.0.1', port: kinesalitePort });
 */
export async function startEdge(options: EdgeOptions = {}): Promise<Edge> {
  const log = options.log ?? (() => {});
  const maxBodyBytes = options.maxBodyBytes ?? 32 * 1024 * 1024;
  const backends = new Map<string, EdgeBackend>();
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });

  const refuse = (
    response: OutgoingResponse,
    identity: ServiceIdentity,
    headers: IncomingHttpHeaders,
  ): void => {
    const format = errorFormatFor(identity.service, headers);
    if (identity.service !== undefined) {
      const served = [...backends.keys()].sort().join(', ');
      send(
        response,
        awsError(
          format,
          400,
          'UnknownServiceException',
          `The local stack does not serve '${identity.service}' (the signing name in the request's credential scope); it serves: ${served}`,
        ),
      );
    } else if (identity.problem !== undefined) {
      send(
        response,
        awsError(
          format,
          400,
          'IncompleteSignatureException',
          `Cannot route the request: ${identity.problem}`,
        ),
      );
    } else {
      send(
        response,
        awsError(
          format,
          400,
          'MissingAuthenticationTokenException',
          'Cannot route the request: it is not signed with SigV4 and names no service by X-Amz-Target or by the Lambda path',
        ),
      );
    }
  };

  const proxy = (
    request: IncomingRequest,
    response: OutgoingResponse,
    backend: Extract<EdgeBackend, { kind: 'proxy' }>,
    identity: ServiceIdentity,
    loseAnswer: boolean,
  ): void => {
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name) && !name.startsWith(':')) headers[name] = value;
    }
    // HTTP/2 carries the host as :authority; the emulators speak HTTP/1.1.
    const authority = request.headers[':authority'];
    if (headers.host === undefined && typeof authority === 'string') headers.host = authority;
    let path = request.url ?? '/';
    if (backend.accessKeyId !== undefined) {
      const authorization = headerValue(request.headers, 'authorization');
      if (authorization !== undefined)
        headers.authorization = rewriteAuthorizationKey(authorization, backend.accessKeyId);
      path = rewritePresignedKey(path, backend.accessKeyId);
    }
    let source: Readable = request;
    let decoder: AwsChunkedDecoder | undefined;
    if (backend.decodeAwsChunked === true && isAwsChunked(headerValue(request.headers, 'content-encoding'))) {
      const encoding = withoutAwsChunked(headerValue(request.headers, 'content-encoding'));
      const decodedLength = headerValue(request.headers, 'x-amz-decoded-content-length');
      if (encoding === undefined) delete headers['content-encoding'];
      else headers['content-encoding'] = encoding;
      delete headers['x-amz-decoded-content-length'];
      delete headers['x-amz-trailer'];
      headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
      if (decodedLength !== undefined && /^\d+$/.test(decodedLength)) {
        headers['content-length'] = decodedLength;
        delete headers['transfer-encoding'];
      } else {
        delete headers['content-length'];
        headers['transfer-encoding'] = 'chunked';
      }
      decoder = new AwsChunkedDecoder();
      source = request.pipe(decoder);
    }
    let answered = false;
    const fail = (answer: EdgeResponse): void => {
      if (answered) return;
      answered = true;
      send(response, answer);
    };
    const upstream = httpRequest({
      host: backend.host,
      port: backend.port,
      method: request.method ?? 'GET',
      path,
      headers,
      agent,
    });
    upstream.on('response', (answer) => {
      answered = true;
      if (loseAnswer) {
        // The service acted; its answer never reaches the client.
        answer.on('error', () => dropConnection(request));
        answer.once('end', () => dropConnection(request));
        answer.resume();
        return;
      }
      response.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
      answer.pipe(response);
      answer.on('error', () => response.destroy());
    });
    upstream.on('error', (error) => {
      if (answered) return;
      log(
        `edge: ${identity.service ?? 'unknown'} upstream ${backend.host}:${backend.port} failed: ${error.message}`,
      );
      fail(
        awsError(
          errorFormatFor(identity.service, request.headers),
          503,
          'ServiceUnavailable',
          `The local ${identity.service ?? ''} emulator did not answer: ${error.message}`,
        ),
      );
    });
    decoder?.on('error', (error) => {
      fail(awsError(errorFormatFor(identity.service, request.headers), 400, 'InvalidRequest', error.message));
      upstream.destroy();
    });
    request.on('error', () => upstream.destroy());
    response.on('close', () => {
      if (!response.writableFinished) upstream.destroy();
    });
    source.pipe(upstream);
  };

  const dispatch = async (
    request: IncomingRequest,
    response: OutgoingResponse,
    emulator: ServiceEmulator,
    identity: ServiceIdentity,
    loseAnswer: boolean,
  ): Promise<void> => {
    const format = errorFormatFor(identity.service, request.headers);
    let body: Buffer;
    try {
      body = await readBody(request, maxBodyBytes);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const status = error instanceof BodyTooLargeError ? 413 : 400;
      send(
        response,
        awsError(format, status, 'RequestEntityTooLargeException', `Cannot read the request: ${message}`),
      );
      return;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined && !name.startsWith(':'))
        headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const authority = request.headers[':authority'];
    if (headers.host === undefined && typeof authority === 'string') headers.host = authority;
    const edgeRequest: EdgeRequest = {
      method: request.method ?? 'GET',
      url: request.url ?? '/',
      headers,
      body,
      region: identity.region,
    };
    let answer: EdgeResponse;
    try {
      answer = await emulator.handle(edgeRequest);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log(
        `edge: ${emulator.signingName} emulator failed on ${edgeRequest.method} ${edgeRequest.url}: ${message}`,
      );
      answer = awsError(
        format,
        500,
        'InternalFailure',
        `The local ${emulator.signingName} emulator failed: ${message}`,
      );
    }
    // A lost answer: the emulator acted, the client sees a reset.
    if (loseAnswer) dropConnection(request);
    else send(response, answer);
  };

  /** Hands a request to its backend; `loseAnswer` drops the connection instead of answering. */
  const forward = (
    request: IncomingRequest,
    response: OutgoingResponse,
    backend: EdgeBackend,
    identity: ServiceIdentity,
    loseAnswer = false,
  ): void => {
    const emulator = emulatorFor(backend, request.headers);
    if (emulator !== undefined) {
      dispatch(request, response, emulator, identity, loseAnswer).catch((error: unknown) => {
        log(`edge: ${String(error)}`);
        response.destroy();
      });
    } else if (backend.kind === 'proxy') {
      proxy(request, response, backend, identity, loseAnswer);
    }
  };

  /** Performs a fault decision (its latency already waited out): answer with the fault, or forward. */
  const inject = (
    request: IncomingRequest,
    response: OutgoingResponse,
    backend: EdgeBackend,
    identity: ServiceIdentity,
    decision: FaultDecision,
  ): void => {
    switch (decision.fault) {
      case undefined:
        forward(request, response, backend, identity);
        return;
      case 'throttle':
      case '5xx':
      case 'expired-iterator': {
        request.resume();
        const formEncoded = errorFormatFor(identity.service, request.headers) === 'query-xml';
        send(response, faultResponse(identity.service ?? '', decision.fault, decision.variant, formEncoded));
        return;
      }
      case 'drop':
        dropConnection(request);
        return;
      case 'drop-response':
        forward(request, response, backend, identity, true);
        return;
    }
  };

  /** `GET /_localstack/faults`: the switch, the plan and the counters; `POST` changes the switch or the plan. */
  const controlFaults = async (
    request: IncomingRequest,
    response: OutgoingResponse,
    faults: FaultInjector,
  ): Promise<void> => {
    if (request.method === 'POST') {
      const text = (await readBody(request, 64 * 1024)).toString('utf8');
      let change: unknown;
      try {
        change = text.trim() === '' ? {} : JSON.parse(text);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        send(response, awsError('json', 400, 'SerializationException', `${FAULTS_PATH}: ${message}`));
        return;
      }
      const { enabled, plan } = (typeof change === 'object' && change !== null ? change : {}) as {
        enabled?: unknown;
        plan?: unknown;
      };
      if (
        (enabled !== undefined && typeof enabled !== 'boolean') ||
        (plan !== undefined && typeof plan !== 'string')
      ) {
        send(
          response,
          awsError(
            'json',
            400,
            'ValidationException',
            `${FAULTS_PATH} takes {"enabled": true|false, "plan": "LOCALSTACK_FAULTS syntax"}`,
          ),
        );
        return;
      }
      try {
        if (plan !== undefined) faults.replace(plan);
      } catch (error) {
        if (!(error instanceof FaultSpecError)) throw error;
        send(response, awsError('json', 400, 'ValidationException', error.message));
        return;
      }
      if (enabled === true) faults.enable();
      if (enabled === false) faults.disable();
    } else {
      request.resume();
    }
    send(response, {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ enabled: faults.enabled, plan: faults.plan, counts: faults.counts() }),
    });
  };

  const route = (request: IncomingRequest, response: OutgoingResponse): void => {
    if (request.method === 'GET' && (request.url ?? '').split('?')[0] === HEALTH_PATH) {
      // LocalStack's readiness probe, so scripts and tools that wait for LocalStack wait for this too.
      request.resume();
      const services = Object.fromEntries([...backends.keys()].sort().map((name) => [name, 'running']));
      send(response, {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ services, edition: 'embedded' }),
      });
      return;
    }
    if ((request.url ?? '').split('?')[0] === FAULTS_PATH && options.faults !== undefined) {
      controlFaults(request, response, options.faults).catch((error: unknown) => {
        log(`edge: ${FAULTS_PATH}: ${String(error)}`);
        response.destroy();
      });
      return;
    }
    const identity = identifyService(request.url ?? '/', request.headers);
    const backend = identity.service === undefined ? undefined : backends.get(identity.service);
    if (backend !== undefined && identity.service !== undefined && options.onRequest !== undefined) {
      const target = headerValue(request.headers, 'x-amz-target');
      const method = request.method ?? 'GET';
      options.onRequest(
        target === undefined
          ? { service: identity.service, method }
          : { service: identity.service, target, method },
      );
    }
    if (backend === undefined) {
      request.resume();
      refuse(response, identity, request.headers);
      return;
    }
    const decision =
      identity.service === undefined
        ? undefined
        : options.faults?.decide(identity.service, operationOf(request.headers));
    if (decision === undefined) {
      forward(request, response, backend, identity);
    } else if (decision.delayMs > 0) {
      setTimeout(
        () => guard(request, response, () => inject(request, response, backend, identity, decision)),
        decision.delayMs,
      );
    } else {
      inject(request, response, backend, identity, decision);
    }
  };
  // A throw here would be an uncaught exception in the server: answer it instead, and keep serving.
  const guard = (request: IncomingRequest, response: OutgoingResponse, work: () => void): void => {
    try {
      work();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log(`edge: cannot route ${request.method ?? ''} ${request.url ?? ''}: ${message}`);
      request.resume();
      send(response, awsError(errorFormatFor(undefined, request.headers), 400, 'InvalidRequest', message));
    }
  };
  const serve = (request: IncomingRequest, response: OutgoingResponse): void =>
    guard(request, response, () => route(request, response));
  const http1 = createServer(serve);
  // Node closes an idle connection after 5 s, while a client's pool keeps it longer and may send on it as
  // it closes (ECONNRESET, "socket hang up"). Idle connections stay open a minute, as AWS endpoints keep them.
  http1.keepAliveTimeout = IDLE_CONNECTION_MS;
  http1.headersTimeout = IDLE_CONNECTION_MS + 5_000;
  const http2 = createHttp2Server(serve);
  http2.on('sessionError', (error) => log(`edge: HTTP/2 session failed: ${error.message}`));
  http1.on('clientError', (error, socket) => {
    // Bytes that are not HTTP at all: answer once, in the JSON dialect, and drop the connection.
    if (socket.writable) {
      const answer = awsError(
        'json',
        400,
        'SerializationException',
        `Malformed HTTP request: ${error.message}`,
      );
      const body = String(answer.body ?? '');
      socket.end(
        `HTTP/1.1 400 Bad Request\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
    } else {
      socket.destroy();
    }
  });

  // One port for both protocols: an HTTP/2 client opens with the preface `PRI * HTTP/2.0`, so the first
  // bytes tell which server gets the connection.
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.once('data', (first: Buffer) => {
      socket.pause();
      socket.unshift(first);
      const target = first.subarray(0, 3).toString('latin1') === 'PRI' ? http2 : http1;
      target.emit('connection', socket);
      process.nextTick(() => socket.resume());
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4566, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const endpoint = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  let closing: Promise<void> | undefined;
  return {
    host,
    port,
    endpoint,
    route(signingName, backend) {
      backends.set(signingName, backend);
    },
    services() {
      return [...backends.keys()];
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        http1.closeAllConnections();
        http2.close();
        for (const socket of sockets) socket.destroy();
        agent.destroy();
      });
      return closing;
    },
  };
}
