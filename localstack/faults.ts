/**
 * Fault injection at the edge: throttling, server errors, added latency and dropped connections on a
 * share of the requests to each service, so the router's retry, redelivery and idempotency paths run on
 * a laptop the way AWS exercises them. Faults are drawn from a seeded generator (one stream per service),
 * counted per service and kind, and injected only while enabled: a stack is bootstrapped clean, then
 * armed.
 *
 * The plan is written as `LOCALSTACK_FAULTS` spells it (see `docs/local-stack.md`):
 *
 * ```
 * seed=7,dynamodb:throttle=5%,s3:5xx=0.05,kinesis.GetRecords:expired-iterator=1%,*:latency=0-20ms
 * ^^^^^^ ^^^^^^^^ ^^^^^^^^ ^^  ^^^^^^^^^^^^^^^^^^                         ^ every served service
 * seed   service  kind     rate  service.Operation (one JSON-protocol action)   latency: a uniform delay in ms
 * ```
 *
 * A request draws one number per fault plan: below the throttle rate it is throttled, in the next band
 * answered with a 5xx, then dropped before the service sees it, then dropped after the service acted
 * (the answer is lost: the client retries something that already happened), then (Kinesis GetRecords
 * only) answered `ExpiredIteratorException`, as Kinesis answers an iterator older than five minutes.
 * Terms for one operation win over the service's, which win over `*`.
 */
import { randomUUID } from 'node:crypto';
import type { EdgeResponse } from './service.ts';

/** Faults that replace the answer; `latency` only delays it. */
export type FaultKind = 'throttle' | '5xx' | 'drop' | 'drop-response' | 'expired-iterator';

/** The kinds in the order a request's draw is compared against them. */
export const FAULT_KINDS: readonly FaultKind[] = [
  'throttle',
  '5xx',
  'drop',
  'drop-response',
  'expired-iterator',
];

/** The one operation an expired iterator can be answered to. */
const EXPIRED_ITERATOR_TARGET = 'kinesis.GetRecords';

/** A delay drawn uniformly from `minMs` to `maxMs` (inclusive) for every request. */
export interface LatencyRange {
  readonly minMs: number;
  readonly maxMs: number;
}

/** What one service suffers: a rate (0..1) per kind, and a latency range. */
export interface ServiceFaults {
  readonly rates: Readonly<Partial<Record<FaultKind, number>>>;
  readonly latency?: LatencyRange;
}

/** A parsed plan: the seed, and the faults by signing name, `name.Operation`, or `*` for every service. */
export interface FaultPlan {
  readonly seed: number;
  readonly services: Readonly<Record<string, ServiceFaults>>;
}

/** A `LOCALSTACK_FAULTS` value the parser cannot read; the message names the term and the reason. */
export class FaultSpecError extends Error {
  override readonly name = 'FaultSpecError';
}

/** The seed when the plan gives none: a run is reproducible either way. */
const DEFAULT_SEED = 1;
const SERVICE = /^(\*|[a-z0-9][a-z0-9-]*(\.[A-Z][A-Za-z0-9]*)?)$/;

function parseRate(term: string, value: string): number {
  const percent = value.endsWith('%');
  const number = Number(percent ? value.slice(0, -1) : value);
  const rate = percent ? number / 100 : number;
  if (value.trim() === '' || !Number.isFinite(rate) || rate < 0 || rate > 1) {
    throw new FaultSpecError(
      `LOCALSTACK_FAULTS term '${term}': the rate must be a number from 0 to 1 or a percentage (0.05, 5%), got '${value}'`,
    );
  }
  return rate;
}

function parseLatency(term: string, value: string): LatencyRange {
  const match = /^(\d+)(?:ms)?(?:-(\d+))?ms$/.exec(value);
  const minMs = Number(match?.[1]);
  const maxMs = match?.[2] === undefined ? minMs : Number(match[2]);
  if (match === null || maxMs < minMs) {
    throw new FaultSpecError(
      `LOCALSTACK_FAULTS term '${term}': latency is 'Nms' or 'MIN-MAXms' with MIN <= MAX, got '${value}'`,
    );
  }
  return { minMs, maxMs };
}

function isFaultKind(kind: string): kind is FaultKind {
  return (FAULT_KINDS as readonly string[]).includes(kind);
}

/**
 * Reads a plan in the `LOCALSTACK_FAULTS` syntax. Terms are separated by commas; an empty text is an
 * empty plan. Throws {@link FaultSpecError} naming the term for anything it cannot read, a term given
 * twice, or a service whose rates add up to more than 1.
 *
 * @example
 * parseFaultSpec('seed=7,dynamodb:throttle=0.05,*:latency=0-20ms');
 * // { seed: 7, services: { dynamodb: { rates: { throttle: 0.05 } }, '*': { rates: {}, latency: { minMs: 0, maxMs: 20 } } } }
 */
export function parseFaultSpec(text: string): FaultPlan {
  let seed: number | undefined;
  const rates = new Map<string, Partial<Record<FaultKind, number>>>();
  const latency = new Map<string, LatencyRange>();
  for (const raw of text.split(',')) {
    const term = raw.trim();
    if (term === '') continue;
    const equals = term.indexOf('=');
    if (equals < 0)
      throw new FaultSpecError(`LOCALSTACK_FAULTS term '${term}' has no '=' (SERVICE:KIND=VALUE)`);
    const name = term.slice(0, equals).trim();
    const value = term.slice(equals + 1).trim();
    if (name === 'seed') {
      if (seed !== undefined) throw new FaultSpecError(`LOCALSTACK_FAULTS gives the seed twice ('${term}')`);
      if (!/^\d+$/.test(value) || Number(value) > 0xffffffff) {
        throw new FaultSpecError(
          `LOCALSTACK_FAULTS term '${term}': the seed is an integer from 0 to 4294967295`,
        );
      }
      seed = Number(value);
      continue;
    }
    const colon = name.indexOf(':');
    const service = colon < 0 ? '' : name.slice(0, colon);
    const kind = colon < 0 ? name : name.slice(colon + 1);
    if (!SERVICE.test(service)) {
      throw new FaultSpecError(
        `LOCALSTACK_FAULTS term '${term}' names no service: write SERVICE:KIND=VALUE, SERVICE a signing name (dynamodb, s3, lambda, kinesis), a signing name and a JSON-protocol operation (kinesis.GetRecords), or *`,
      );
    }
    if (kind === 'latency') {
      if (latency.has(service)) throw new FaultSpecError(`LOCALSTACK_FAULTS gives ${service}:latency twice`);
      latency.set(service, parseLatency(term, value));
      continue;
    }
    if (!isFaultKind(kind)) {
      throw new FaultSpecError(
        `LOCALSTACK_FAULTS term '${term}': unknown fault '${kind}'; the faults are ${[...FAULT_KINDS, 'latency'].join(', ')}`,
      );
    }
    if (kind === 'expired-iterator' && service !== EXPIRED_ITERATOR_TARGET) {
      throw new FaultSpecError(
        `LOCALSTACK_FAULTS term '${term}': expired-iterator is a fault of ${EXPIRED_ITERATOR_TARGET} only`,
      );
    }
    const own = rates.get(service) ?? {};
    if (own[kind] !== undefined) throw new FaultSpecError(`LOCALSTACK_FAULTS gives ${service}:${kind} twice`);
    rates.set(service, { ...own, [kind]: parseRate(term, value) });
  }
  const services: Record<string, ServiceFaults> = {};
  for (const service of new Set([...rates.keys(), ...latency.keys()])) {
    const range = latency.get(service);
    services[service] = {
      rates: rates.get(service) ?? {},
      ...(range === undefined ? {} : { latency: range }),
    };
  }
  const plan: FaultPlan = { seed: seed ?? DEFAULT_SEED, services };
  for (const key of Object.keys(services)) {
    const [service = key, operation] = key.split('.');
    const total = sumRates(effectiveFaults(plan, service, operation).rates);
    if (total > 1 + 1e-9) {
      throw new FaultSpecError(
        `LOCALSTACK_FAULTS: the fault rates of ${key} (with those of its service and *) add up to ${total}, more than 1`,
      );
    }
  }
  return plan;
}

function sumRates(rates: Readonly<Partial<Record<FaultKind, number>>>): number {
  return FAULT_KINDS.reduce((sum, kind) => sum + (rates[kind] ?? 0), 0);
}

/**
 * The faults a request suffers: the terms of its operation, then of its service, then of `*`, each
 * kind taken from the most specific term that names it.
 */
export function effectiveFaults(plan: FaultPlan, service: string, operation?: string): ServiceFaults {
  const all = plan.services['*'];
  const own = plan.services[service];
  const op = operation === undefined ? undefined : plan.services[`${service}.${operation}`];
  const latency = op?.latency ?? own?.latency ?? all?.latency;
  return {
    rates: { ...all?.rates, ...own?.rates, ...op?.rates },
    ...(latency === undefined ? {} : { latency }),
  };
}

/** One request's fate: how long to hold it, and the fault that replaces its answer, if any. */
export interface FaultDecision {
  readonly delayMs: number;
  readonly fault?: FaultKind;
  /** The request's draw within its fault's band (0..1), for a variant of the fault's wire form. */
  readonly variant: number;
}

/** Counters of one service: requests seen while enabled, and each fault injected. */
export type FaultCounts = Record<FaultKind | 'requests' | 'latency', number>;

/** 32-bit FNV-1a, to give each service a generator stream of its own from one seed. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** mulberry32: small, fast, and the same sequence for the same seed on every platform. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function zeroCounts(): FaultCounts {
  return {
    requests: 0,
    throttle: 0,
    '5xx': 0,
    drop: 0,
    'drop-response': 0,
    'expired-iterator': 0,
    latency: 0,
  };
}

/**
 * Decides, per request, which fault the edge injects, and counts them. Disabled when built, so the
 * resources a stack needs are created before anything fails; `enable()` arms it. Each service draws from
 * its own generator seeded from the plan's seed and its name, so one service's sequence of decisions
 * does not depend on how its requests interleave with another's.
 *
 * @example
 * const faults = new FaultInjector(parseFaultSpec('dynamodb:throttle=0.05'));
 * await bootstrap({ aws: stack.aws });
 * faults.enable();
 * // ...
 * faults.counts().dynamodb?.throttle;
 */
export class FaultInjector {
  #plan: FaultPlan;
  #enabled = false;
  readonly #random = new Map<string, () => number>();
  readonly #counts = new Map<string, FaultCounts>();

  constructor(plan: FaultPlan | string = '') {
    this.#plan = typeof plan === 'string' ? parseFaultSpec(plan) : plan;
  }

  /** The plan in force. */
  get plan(): FaultPlan {
    return this.#plan;
  }

  get enabled(): boolean {
    return this.#enabled;
  }

  /** True when the plan injects anything at all. */
  get active(): boolean {
    return Object.keys(this.#plan.services).length > 0;
  }

  /** Starts injecting into the requests that arrive from now on. */
  enable(): void {
    this.#enabled = true;
  }

  /** Stops injecting; requests already held for latency still get their fault. */
  disable(): void {
    this.#enabled = false;
  }

  /** Replaces the plan (and restarts the generators from its seed); the counters are kept. */
  replace(plan: FaultPlan | string): void {
    this.#plan = typeof plan === 'string' ? parseFaultSpec(plan) : plan;
    this.#random.clear();
  }

  /**
   * The fate of the next request to `service` (its JSON-protocol `operation`, when it has one);
   * undefined when disabled or when nothing applies. Requests of an operation the plan names are
   * counted, and drawn, under `service.Operation`; the others under the service.
   */
  decide(service: string, operation?: string): FaultDecision | undefined {
    if (!this.#enabled) return undefined;
    const named = operation !== undefined && this.#plan.services[`${service}.${operation}`] !== undefined;
    const key = named ? `${service}.${operation}` : service;
    const faults = effectiveFaults(this.#plan, service, named ? operation : undefined);
    const counts = this.#countsOf(key);
    counts.requests += 1;
    if (sumRates(faults.rates) === 0 && faults.latency === undefined) return undefined;
    let random = this.#random.get(key);
    if (random === undefined) {
      random = generator(fnv1a(`${this.#plan.seed}:${key}`));
      this.#random.set(key, random);
    }
    const draw = random();
    let delayMs = 0;
    if (faults.latency !== undefined) {
      const { minMs, maxMs } = faults.latency;
      delayMs = minMs + Math.floor(random() * (maxMs - minMs + 1));
      if (delayMs > 0) counts.latency += 1;
    }
    let from = 0;
    for (const kind of FAULT_KINDS) {
      const rate = faults.rates[kind] ?? 0;
      if (draw < from + rate) {
        counts[kind] += 1;
        return { delayMs, fault: kind, variant: (draw - from) / rate };
      }
      from += rate;
    }
    return delayMs === 0 ? undefined : { delayMs, variant: 0 };
  }

  /** A copy of the counters, by service (or `service.Operation`), of what was injected while enabled. */
  counts(): Record<string, FaultCounts> {
    return Object.fromEntries([...this.#counts].map(([service, counts]) => [service, { ...counts }]));
  }

  /** Faults of one kind injected into every service, or all faults (latency not included). */
  total(kind?: FaultKind): number {
    let sum = 0;
    for (const counts of this.#counts.values()) {
      for (const k of kind === undefined ? FAULT_KINDS : [kind]) sum += counts[k];
    }
    return sum;
  }

  #countsOf(service: string): FaultCounts {
    let counts = this.#counts.get(service);
    if (counts === undefined) {
      counts = zeroCounts();
      this.#counts.set(service, counts);
    }
    return counts;
  }
}

function jsonError(status: number, type: string, message: string, contentType: string): EdgeResponse {
  return {
    status,
    headers: { 'content-type': contentType, 'x-amzn-errortype': type, 'x-amzn-requestid': randomUUID() },
    body: JSON.stringify({ __type: type, message }),
  };
}

function xmlError(status: number, code: string, message: string, query: boolean): EdgeResponse {
  const requestId = randomUUID();
  const error = `<Code>${code}</Code><Message>${message}</Message>`;
  const body = query
    ? `<ErrorResponse><Error><Type>Receiver</Type>${error}</Error><RequestId>${requestId}</RequestId></ErrorResponse>`
    : `<Error>${error}<RequestId>${requestId}</RequestId><HostId>${requestId}</HostId></Error>`;
  return {
    status,
    headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n${body}`,
  };
}

/**
 * The answer a service gives when it throttles a request or fails it on its side, in that service's own
 * wire form, so the SDK raises the exception it raises against AWS and retries it the same way:
 *
 * | service | throttle | 5xx |
 * |---|---|---|
 * | dynamodb | 400 `ProvisionedThroughputExceededException` or `ThrottlingException` (JSON 1.0) | 500 `InternalServerError` |
 * | s3 | 503 `SlowDown` (XML) | 500 `InternalError` |
 * | lambda | 429 `TooManyRequestsException` (REST JSON) | 500 `ServiceException` |
 * | kinesis | 400 `ProvisionedThroughputExceededException` (JSON 1.1) | 500 `InternalFailure` |
 * | others | 400 `ThrottlingException` (JSON, or XML for form-encoded requests) | 500 `InternalFailure` |
 *
 * `variant` (0..1) picks between DynamoDB's two throttling errors. An expired iterator is Kinesis's 400
 * `ExpiredIteratorException`.
 */
export function faultResponse(
  service: string,
  kind: 'throttle' | '5xx' | 'expired-iterator',
  variant = 0,
  formEncoded = false,
): EdgeResponse {
  if (kind === 'expired-iterator') {
    return jsonError(
      400,
      'ExpiredIteratorException',
      'Iterator expired. The iterator was created more than five minutes ago (injected by the local stack).',
      'application/x-amz-json-1.1',
    );
  }
  const throttle = kind === 'throttle';
  switch (service) {
    case 'dynamodb': {
      const json = 'application/x-amz-json-1.0';
      if (!throttle) {
        return jsonError(
          500,
          'com.amazonaws.dynamodb.v20120810#InternalServerError',
          'Internal server error',
          json,
        );
      }
      return variant < 0.5
        ? jsonError(
            400,
            'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
            'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
            json,
          )
        : jsonError(
            400,
            'com.amazon.coral.availability#ThrottlingException',
            'Rate of requests exceeds the allowed throughput.',
            json,
          );
    }
    case 's3':
      return throttle
        ? xmlError(503, 'SlowDown', 'Please reduce your request rate.', false)
        : xmlError(500, 'InternalError', 'We encountered an internal error. Please try again.', false);
    case 'lambda': {
      const type = throttle ? 'TooManyRequestsException' : 'ServiceException';
      const body = throttle
        ? { Type: 'User', message: 'Rate Exceeded.', Reason: 'CallerRateLimitExceeded' }
        : { Type: 'Service', message: 'An internal error occurred in the Lambda service.' };
      return {
        status: throttle ? 429 : 500,
        headers: {
          'content-type': 'application/json',
          'x-amzn-errortype': type,
          'x-amzn-requestid': randomUUID(),
        },
        body: JSON.stringify(body),
      };
    }
    case 'kinesis':
      return throttle
        ? jsonError(
            400,
            'ProvisionedThroughputExceededException',
            'Rate exceeded for the shard (injected by the local stack).',
            'application/x-amz-json-1.1',
          )
        : jsonError(500, 'InternalFailure', 'Internal service failure.', 'application/x-amz-json-1.1');
    default:
      if (formEncoded) {
        return throttle
          ? xmlError(400, 'Throttling', 'Rate exceeded', true)
          : xmlError(500, 'InternalFailure', 'Internal service failure.', true);
      }
      return throttle
        ? jsonError(400, 'ThrottlingException', 'Rate exceeded', 'application/x-amz-json-1.1')
        : jsonError(500, 'InternalFailure', 'Internal service failure.', 'application/x-amz-json-1.1');
  }
}
