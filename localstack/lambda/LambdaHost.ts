/**
 * The local Lambda Invoke API. The router and the step Lambdas call each other through the real SDK,
 * so locally something has to answer `POST /2015-03-31/functions/NAME/invocations` the way Lambda does:
 * the same status codes per invocation type, `X-Amz-Function-Error` with the runtime's error payload,
 * timeouts, throttling at a concurrency limit and injected faults, so that retry and Catch logic is
 * exercised on a laptop exactly as it will be in AWS.
 *
 * ```
 * RequestResponse  -> 200 payload            (function error: 200 + X-Amz-Function-Error: Unhandled)
 * Event            -> 202, runs afterwards   (errors are logged; waits for a free slot, never throttled)
 * DryRun           -> 204, nothing runs
 * API errors       -> 4xx/5xx + x-amzn-ErrorType (ResourceNotFound, TooManyRequests, Service, ...)
 * ```
 */
import { randomUUID } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ClientContext, Context } from 'aws-lambda';
import { STEP_FUNCTIONS, type StepFunctionSpec } from '../../handlers/catalog.ts';
import type { EdgeRequest, EdgeResponse, ServiceEmulator } from '../service.ts';
import { createInvocationContext, decodeClientContext } from './context.ts';
import { functionNotFound, LambdaApiError, type ThrottleReason, throttled } from './errors.ts';
import { functionArn, parseFunctionName } from './functionName.ts';

/** A step Lambda as the host runs it: promise-style Node.js handler. */
export type StepHandler = (event: unknown, context: Context) => Promise<unknown>;

/** Settings a local function may carry; they default to Lambda's own defaults. */
export interface LocalFunctionSettings {
  readonly timeoutSeconds?: number;
  readonly memoryMb?: number;
  /** Reserved concurrency: invocations beyond it are throttled with the `Reserved...` reason. */
  readonly reservedConcurrency?: number;
}

/** A function injected into the host: a handler, or a module (relative to `rootDir`) exporting `handler`. */
export type LocalFunction =
  | StepHandler
  | (LocalFunctionSettings & { readonly entry: string })
  | (LocalFunctionSettings & { readonly handler: StepHandler });

/** The few logging methods the host uses; `console` and a Powertools Logger both fit. */
export interface HostLog {
  info(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/** How the host is built; everything is optional so `createLambdaHost()` serves the catalog. */
export interface LambdaHostOptions {
  /** Functions served in addition to (and taking precedence over) the catalog, by name. */
  readonly functions?: Readonly<Record<string, LocalFunction>>;
  /** Step function list; defaults to `STEP_FUNCTIONS` from `handlers/catalog.ts`. */
  readonly catalog?: readonly StepFunctionSpec[];
  /** Directory `entry` paths are relative to; defaults to the repository root. */
  readonly rootDir?: string;
  /** Account-level concurrency (Lambda's default is 1,000); beyond it RequestResponse calls get 429. */
  readonly concurrencyLimit?: number;
  /** Share of Invoke calls (0..1) answered with an injected 429 or 500 before anything runs. */
  readonly failureRate?: number;
  /** Random source for fault injection, injectable so fault tests are deterministic. */
  readonly random?: () => number;
  /** Timeout for functions that set none; Lambda's default is 3 seconds. */
  readonly defaultTimeoutSeconds?: number;
  readonly now?: () => number;
  readonly log?: HostLog;
}

/** Lambda's payload limits: synchronous 6 MB, asynchronous 1 MB (request); 6 MB response. */
const SYNC_REQUEST_LIMIT = 6_291_456;
const ASYNC_REQUEST_LIMIT = 1_048_576;
const RESPONSE_LIMIT = 6_291_556;
const INVOCATION_TYPES = new Set(['RequestResponse', 'Event', 'DryRun']);
const TIMED_OUT = Symbol('timed out');

interface ServedFunction {
  readonly name: string;
  readonly description: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly reservedConcurrency?: number;
  readonly entry?: string;
  load(): Promise<StepHandler>;
}

interface InvocationOutcome {
  readonly payload: string;
  readonly functionError?: 'Unhandled';
  readonly requestId: string;
  readonly durationMs: number;
}

interface Waiter {
  readonly fn: ServedFunction;
  readonly resume: () => void;
}

const defaultLog: HostLog = {
  info: (message, extra) =>
    console.info(JSON.stringify({ level: 'INFO', service: 'lambda', message, ...extra })),
  error: (message, extra) =>
    console.error(JSON.stringify({ level: 'ERROR', service: 'lambda', message, ...extra })),
};

const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Builds the Lambda Invoke host behind the edge (signing name `lambda`).
 *
 * @example
 * const lambda = createLambdaHost({ functions: { echo: async (event) => event }, concurrencyLimit: 16 });
 * const stack = await startLocalStack({ port: 0, services: [lambda] });
 */
export function createLambdaHost(options: LambdaHostOptions = {}): ServiceEmulator {
  return new LambdaHost(options);
}

class LambdaHost implements ServiceEmulator {
  readonly signingName = 'lambda';
  private readonly functions = new Map<string, ServedFunction>();
  private readonly concurrencyLimit: number;
  private readonly failureRate: number;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly log: HostLog;
  private active = 0;
  private readonly activeByFunction = new Map<string, number>();
  private readonly waiters: Waiter[] = [];
  private readonly pendingEvents = new Set<Promise<void>>();

  constructor(options: LambdaHostOptions) {
    this.concurrencyLimit = positive(options.concurrencyLimit ?? 1000, 'concurrencyLimit');
    this.failureRate = options.failureRate ?? 0;
    if (!(this.failureRate >= 0 && this.failureRate <= 1)) {
      throw new RangeError(`Lambda host failureRate must be between 0 and 1, got ${options.failureRate}`);
    }
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.log = options.log ?? defaultLog;
    const rootDir = options.rootDir ?? repositoryRoot;
    const defaultTimeout = options.defaultTimeoutSeconds ?? 3;
    for (const spec of options.catalog ?? STEP_FUNCTIONS) {
      this.functions.set(
        spec.name,
        served(
          spec.name,
          spec.description,
          { ...spec, timeoutSeconds: spec.timeoutSeconds ?? defaultTimeout },
          rootDir,
        ),
      );
    }
    for (const [name, local] of Object.entries(options.functions ?? {})) {
      const settings: LocalFunction = typeof local === 'function' ? { handler: local } : local;
      this.functions.set(
        name,
        served(name, 'injected local function', { timeoutSeconds: defaultTimeout, ...settings }, rootDir),
      );
    }
  }

  async handle(request: EdgeRequest): Promise<EdgeResponse> {
    try {
      return await this.route(request);
    } catch (error) {
      if (error instanceof LambdaApiError) return error.toResponse();
      this.log.error('Lambda host failed on a request', { url: request.url, error: describe(error) });
      return new LambdaApiError(
        500,
        'ServiceException',
        `Lambda host error: ${describe(error)}`,
      ).toResponse();
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.pendingEvents]);
  }

  private async route(request: EdgeRequest): Promise<EdgeResponse> {
    const url = new URL(request.url, 'http://edge.local');
    const path = url.pathname;
    const invoke = /^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/.exec(path);
    if (invoke?.[1] !== undefined && request.method === 'POST') {
      return this.invoke(
        request,
        decodeURIComponent(invoke[1]),
        url.searchParams.get('Qualifier') ?? undefined,
      );
    }
    if (/^\/2015-03-31\/functions\/?$/.test(path) && request.method === 'GET') {
      return json(200, {
        Functions: [...this.functions.values()].map((fn) => this.configuration(fn, request)),
      });
    }
    const get = /^\/2015-03-31\/functions\/([^/]+)\/?$/.exec(path);
    if (get?.[1] !== undefined && request.method === 'GET') {
      const ref = parseFunctionName(
        decodeURIComponent(get[1]),
        url.searchParams.get('Qualifier') ?? undefined,
      );
      const fn = this.lookup(ref.name, region(request), ref.qualifier);
      return json(200, {
        Configuration: this.configuration(fn, request),
        Code: { RepositoryType: 'S3', Location: fn.entry ?? '' },
      });
    }
    throw new LambdaApiError(
      404,
      'UnknownOperationException',
      `The local Lambda host serves Invoke, GetFunction and ListFunctions; not ${request.method} ${path}`,
    );
  }

  private async invoke(
    request: EdgeRequest,
    rawName: string,
    queryQualifier?: string,
  ): Promise<EdgeResponse> {
    const ref = parseFunctionName(rawName, queryQualifier);
    const fn = this.lookup(ref.name, ref.region ?? region(request), ref.qualifier);
    const invocationType = request.headers['x-amz-invocation-type'] ?? 'RequestResponse';
    if (!INVOCATION_TYPES.has(invocationType)) {
      throw new LambdaApiError(
        400,
        'ValidationException',
        `1 validation error detected: Value '${invocationType}' at 'invocationType' failed to satisfy ` +
          'constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]',
      );
    }
    const limit = invocationType === 'Event' ? ASYNC_REQUEST_LIMIT : SYNC_REQUEST_LIMIT;
    if (request.body.length > limit) {
      throw new LambdaApiError(
        413,
        'RequestTooLargeException',
        `Request must be smaller than ${limit} bytes for the ${invocationType === 'Event' ? 'InvokeAsync' : 'InvokeFunction'} operation`,
      );
    }
    const event = parsePayload(request.body);
    const clientContextHeader = request.headers['x-amz-client-context'];
    let clientContext: ClientContext | undefined;
    if (clientContextHeader !== undefined && clientContextHeader !== '') {
      try {
        clientContext = decodeClientContext(clientContextHeader);
      } catch (error) {
        throw new LambdaApiError(400, 'InvalidRequestContentException', describe(error));
      }
    }
    if (invocationType === 'DryRun') return { status: 204, headers: { 'x-amzn-requestid': randomUUID() } };
    this.injectFault();

    const version = ref.qualifier !== undefined && /^\d+$/.test(ref.qualifier) ? ref.qualifier : '$LATEST';
    const invocation = {
      fn,
      event,
      version,
      arn: functionArn(ref.region ?? region(request), fn.name, ref.qualifier),
      ...(clientContext === undefined ? {} : { clientContext }),
    };

    if (invocationType === 'Event') {
      const requestId = randomUUID();
      const pending = new Promise<void>((done) => {
        // After the 202 is written, like Lambda's asynchronous queue.
        setImmediate(() => {
          void this.runEvent(invocation, requestId)
            .catch((error: unknown) =>
              this.log.error('Asynchronous invocation crashed the host', {
                requestId,
                error: describe(error),
              }),
            )
            .finally(done);
        });
      });
      this.pendingEvents.add(pending);
      void pending.finally(() => this.pendingEvents.delete(pending));
      return { status: 202, headers: { 'x-amzn-requestid': requestId, 'content-length': '0' }, body: '' };
    }

    const reason = this.tryAcquire(fn);
    if (reason !== undefined) throw throttled(reason);
    let outcome: InvocationOutcome;
    try {
      outcome = await this.run(invocation, randomUUID());
    } finally {
      this.release(fn);
    }
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-amz-executed-version': version,
      'x-amzn-requestid': outcome.requestId,
    };
    if (outcome.functionError !== undefined) headers['x-amz-function-error'] = outcome.functionError;
    if (request.headers['x-amz-log-type'] === 'Tail') headers['x-amz-log-result'] = logTail(outcome, version);
    return { status: 200, headers, body: outcome.payload };
  }

  private lookup(name: string, atRegion: string, qualifier?: string): ServedFunction {
    const fn = this.functions.get(name);
    if (fn === undefined) throw functionNotFound(functionArn(atRegion, name, qualifier));
    return fn;
  }

  private injectFault(): void {
    if (this.failureRate === 0 || this.random() >= this.failureRate) return;
    if (this.random() < 0.5) throw throttled('ConcurrentInvocationLimitExceeded');
    throw new LambdaApiError(
      500,
      'ServiceException',
      'Lambda was unable to process the request (injected fault)',
    );
  }

  private tryAcquire(fn: ServedFunction): ThrottleReason | undefined {
    const mine = this.activeByFunction.get(fn.name) ?? 0;
    if (fn.reservedConcurrency !== undefined && mine >= fn.reservedConcurrency) {
      return 'ReservedFunctionConcurrentInvocationLimitExceeded';
    }
    if (this.active >= this.concurrencyLimit) return 'ConcurrentInvocationLimitExceeded';
    this.active += 1;
    this.activeByFunction.set(fn.name, mine + 1);
    return undefined;
  }

  private release(fn: ServedFunction): void {
    this.active -= 1;
    this.activeByFunction.set(fn.name, (this.activeByFunction.get(fn.name) ?? 1) - 1);
    const index = this.waiters.findIndex((waiter) => this.tryAcquire(waiter.fn) === undefined);
    if (index >= 0) this.waiters.splice(index, 1)[0]?.resume();
  }

  private async runEvent(invocation: Invocation, requestId: string): Promise<void> {
    if (this.tryAcquire(invocation.fn) !== undefined) {
      // Lambda keeps asynchronous events queued until concurrency frees up instead of throttling the caller.
      await new Promise<void>((resume) => this.waiters.push({ fn: invocation.fn, resume }));
    }
    try {
      const outcome = await this.run(invocation, requestId);
      if (outcome.functionError !== undefined) {
        this.log.error('Asynchronous invocation failed', {
          functionName: invocation.fn.name,
          requestId,
          error: outcome.payload,
        });
      }
    } finally {
      this.release(invocation.fn);
    }
  }

  private async run(invocation: Invocation, requestId: string): Promise<InvocationOutcome> {
    const { fn } = invocation;
    const started = this.now();
    const finish = (payload: string, functionError?: 'Unhandled'): InvocationOutcome => ({
      payload,
      requestId,
      durationMs: this.now() - started,
      ...(functionError === undefined ? {} : { functionError }),
    });
    let handler: StepHandler;
    try {
      handler = await fn.load();
    } catch (error) {
      return finish(JSON.stringify(errorPayload(error)), 'Unhandled');
    }
    let settle: (error: unknown, result?: unknown) => void = () => undefined;
    const settled = new Promise<unknown>((resolveSettled, rejectSettled) => {
      settle = (error, result) =>
        error === null || error === undefined ? resolveSettled(result) : rejectSettled(error);
    });
    void settled.catch(() => undefined);
    const timeoutMs = fn.timeoutSeconds * 1000;
    const context = createInvocationContext({
      requestId,
      functionName: fn.name,
      functionVersion: invocation.version,
      invokedFunctionArn: invocation.arn,
      memoryMb: fn.memoryMb,
      deadline: started + timeoutMs,
      now: this.now,
      settle,
      ...(invocation.clientContext === undefined ? {} : { clientContext: invocation.clientContext }),
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<typeof TIMED_OUT>((resolveTimeout) => {
      timer = setTimeout(() => resolveTimeout(TIMED_OUT), timeoutMs);
    });
    try {
      const result = await Promise.race([
        Promise.resolve().then(() => handler(invocation.event, context)),
        settled,
        timedOut,
      ]);
      if (result === TIMED_OUT) {
        return finish(
          JSON.stringify({
            errorType: 'Sandbox.Timedout',
            errorMessage: `RequestId: ${requestId} Error: Task timed out after ${fn.timeoutSeconds.toFixed(2)} seconds`,
          }),
          'Unhandled',
        );
      }
      const payload = JSON.stringify(result === undefined ? null : result);
      if (Buffer.byteLength(payload) > RESPONSE_LIMIT) {
        return finish(
          JSON.stringify({
            errorMessage: `Response payload size exceeded maximum allowed payload size (${RESPONSE_LIMIT} bytes).`,
            errorType: 'Function.ResponseSizeTooLarge',
          }),
          'Unhandled',
        );
      }
      return finish(payload);
    } catch (error) {
      return finish(JSON.stringify(errorPayload(error)), 'Unhandled');
    } finally {
      clearTimeout(timer);
    }
  }

  private configuration(fn: ServedFunction, request: EdgeRequest): Record<string, unknown> {
    return {
      FunctionName: fn.name,
      FunctionArn: functionArn(region(request), fn.name),
      Runtime: 'nodejs22.x',
      Handler: fn.entry === undefined ? 'index.handler' : `${fn.entry.replace(/\.[cm]?[jt]s$/, '')}.handler`,
      Description: fn.description,
      Timeout: fn.timeoutSeconds,
      MemorySize: fn.memoryMb,
      Version: '$LATEST',
      State: 'Active',
      LastUpdateStatus: 'Successful',
      PackageType: 'Zip',
      Architectures: ['arm64'],
    };
  }
}

interface Invocation {
  readonly fn: ServedFunction;
  readonly event: unknown;
  readonly version: string;
  readonly arn: string;
  readonly clientContext?: ClientContext;
}

function served(
  name: string,
  description: string,
  settings: LocalFunctionSettings & {
    readonly timeoutSeconds: number;
    readonly entry?: string;
    readonly handler?: StepHandler;
    readonly memoryMb?: number;
  },
  rootDir: string,
): ServedFunction {
  if (!/^[a-zA-Z0-9_-]{1,64}$/.test(name)) {
    throw new TypeError(`Local function name '${name}' is not a Lambda function name ([a-zA-Z0-9_-]{1,64})`);
  }
  const timeoutSeconds = positive(settings.timeoutSeconds, `timeoutSeconds of function ${name}`);
  const base = {
    name,
    description,
    timeoutSeconds,
    memoryMb: settings.memoryMb ?? 128,
    ...(settings.reservedConcurrency === undefined
      ? {}
      : { reservedConcurrency: settings.reservedConcurrency }),
  };
  const direct = settings.handler;
  if (direct !== undefined) return { ...base, load: () => Promise.resolve(direct) };
  const entry = settings.entry;
  if (entry === undefined) throw new TypeError(`Local function ${name} needs a handler or an entry module`);
  let loaded: Promise<StepHandler> | undefined;
  return {
    ...base,
    entry,
    load: () => {
      loaded ??= loadHandler(resolve(rootDir, entry), entry).catch((error: unknown) => {
        loaded = undefined;
        throw error;
      });
      return loaded;
    },
  };
}

class RuntimeError extends Error {
  constructor(
    override readonly name: string,
    message: string,
  ) {
    super(message);
  }
}

async function loadHandler(file: string, entry: string): Promise<StepHandler> {
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    throw new RuntimeError(
      'Runtime.ImportModuleError',
      `Error: Cannot load module '${entry}': ${describe(error)}`,
    );
  }
  const handler = module.handler;
  if (typeof handler !== 'function') {
    throw new RuntimeError('Runtime.HandlerNotFound', `${entry}.handler is undefined or not exported`);
  }
  return handler as StepHandler;
}

/** The Node.js runtime's shape for an unhandled error: `errorType`, `errorMessage`, `trace`. */
function errorPayload(error: unknown): { errorType: string; errorMessage: string; trace: string[] } {
  if (error instanceof Error) {
    return { errorType: error.name, errorMessage: error.message, trace: (error.stack ?? '').split('\n') };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

function parsePayload(body: Buffer): unknown {
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new LambdaApiError(
      400,
      'InvalidRequestContentException',
      `Could not parse request body into json: Could not parse payload into json: ${describe(error)}`,
    );
  }
}

function logTail(outcome: InvocationOutcome, version: string): string {
  const lines = [
    `START RequestId: ${outcome.requestId} Version: ${version}`,
    `END RequestId: ${outcome.requestId}`,
    `REPORT RequestId: ${outcome.requestId}\tDuration: ${outcome.durationMs.toFixed(2)} ms`,
  ];
  return Buffer.from(`${lines.join('\n')}\n`).toString('base64');
}

function region(request: EdgeRequest): string {
  return request.region === '' ? 'us-east-1' : request.region;
}

function json(status: number, body: unknown): EdgeResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

function positive(value: number, what: string): number {
  if (!(Number.isFinite(value) && value > 0))
    throw new RangeError(`Lambda host ${what} must be > 0, got ${value}`);
  return value;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
