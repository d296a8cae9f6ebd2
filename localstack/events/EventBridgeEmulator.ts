/**
 * The local EventBridge behind the edge (signing name `events`, AWS JSON 1.1, `X-Amz-Target:
 * AWSEvents.PutEvents`). Rules match with the router's own EventBridge pattern matcher
 * (`router/patterns`), so a pattern behaves here as it does in a route; matched events go to the rule's
 * targets:
 *
 * ```
 * PutEvents(bus) -> { version, id, detail-type, source, account, time, region, resources, detail }
 *   -> each ENABLED rule of the bus whose EventPattern matches
 *      -> each target, with Input / InputPath / InputTransformer applied:
 *           sqs      the local SQS (SqsParameters.MessageGroupId for FIFO queues)
 *           sns      the local SNS (a publish to the topic)
 *           lambda   the local Lambda host, invoked asynchronously
 *           kinesis  the stack's Kinesis (KinesisParameters.PartitionKeyPath, else the event id)
 *           events   another bus
 * ```
 *
 * Queues and topics have the event before PutEvents answers; Lambda functions and streams get it after
 * (`idle()` waits for those). A delivery that fails is logged, not retried.
 *
 * Rules with a `ScheduleExpression` (`rate(...)`, `cron(...)`, on the default bus, as in AWS) run on a
 * timer while the stack runs: each firing sends EventBridge's `Scheduled Event` (source `aws.events`,
 * the rule's ARN in `resources`) to the rule's targets. `runSchedule` fires one now, so a test or a
 * developer need not wait for the clock.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { type KinesisClient, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { kinesisClient, lambdaClient } from '../../router/aws/index.ts';
import type { JsonObject, JsonValue } from '../../router/json.ts';
import { compilePattern, PatternError } from '../../router/patterns/index.ts';
import { LOCAL_ACCOUNT, localArn, parseArn } from '../arn.ts';
import { jsonSnapshot } from '../jsonSnapshot.ts';
import type { HostLog } from '../lambda/index.ts';
import { JsonProtocolError, requestFields } from '../requestFields.ts';
import type { EdgeRequest, EdgeResponse, ServiceEmulator, StackContext } from '../service.ts';
import type { SnsEmulator } from '../sns/index.ts';
import type { SqsEmulator } from '../sqs/index.ts';
import { nextFire, parseSchedule, ScheduleError } from './schedule.ts';

/** An EventBridge API error: its `__type` and HTTP status. */
class EventsError extends JsonProtocolError {
  override readonly name = 'EventsError';
}

function validation(message: string): EventsError {
  return new EventsError('ValidationException', message);
}

interface Bus {
  readonly name: string;
  readonly arn: string;
}

interface Target {
  readonly Id: string;
  readonly Arn: string;
  readonly Input?: string;
  readonly InputPath?: string;
  readonly InputTransformer?: {
    readonly InputPathsMap?: Record<string, string>;
    readonly InputTemplate: string;
  };
  readonly SqsParameters?: { readonly MessageGroupId?: string };
  readonly KinesisParameters?: { readonly PartitionKeyPath: string };
  readonly RoleArn?: string;
}

interface Rule {
  readonly name: string;
  readonly bus: string;
  readonly arn: string;
  eventPattern?: string;
  scheduleExpression?: string;
  state: 'ENABLED' | 'DISABLED';
  description?: string;
  targets: Target[];
}

interface EventsSnapshot {
  readonly buses: readonly Bus[];
  readonly rules: readonly Rule[];
}

/** How the emulation is built. */
export interface EventBridgeEmulatorOptions {
  readonly sqs: SqsEmulator;
  readonly sns: SnsEmulator;
  readonly region?: string;
  /** Keeps buses, rules and targets in `DIR/state.json`. */
  readonly dataDir?: string;
  readonly now?: () => number;
  readonly log?: HostLog;
}

/** The EventBridge emulation. */
export interface EventBridgeEmulator extends ServiceEmulator {
  /** Resolves once every Lambda and Kinesis delivery started so far has been answered. */
  idle(): Promise<void>;
  /** Fires a scheduled rule of the default bus now, as its timer would; returns the event id. */
  runSchedule(ruleName: string): Promise<string>;
}

type Json = Record<string, unknown>;

const TARGET_PREFIX = 'AWSEvents.';
const NAME = /^[\w.-]{1,64}$/;
const BUS_NAME = /^[/.\-_A-Za-z0-9]{1,256}$/;
const TARGET_SERVICES = new Set(['sqs', 'sns', 'lambda', 'kinesis', 'events']);

const defaultLog: HostLog = {
  info: (message, extra) =>
    console.info(JSON.stringify({ level: 'INFO', service: 'events', message, ...extra })),
  error: (message, extra) =>
    console.error(JSON.stringify({ level: 'ERROR', service: 'events', message, ...extra })),
};

/**
 * Builds the EventBridge emulation.
 *
 * @example
 * const events = createEventBridgeEmulator({ sqs, sns });
 * stack.register(events);
 */
export function createEventBridgeEmulator(options: EventBridgeEmulatorOptions): EventBridgeEmulator {
  return new EventBridgeService(options);
}

class EventBridgeService implements EventBridgeEmulator {
  readonly signingName = 'events';
  private readonly buses = new Map<string, Bus>();
  private readonly rules = new Map<string, Rule>();
  private readonly region: string;
  private readonly now: () => number;
  private readonly log: HostLog;
  private readonly sqs: SqsEmulator;
  private readonly sns: SnsEmulator;
  private readonly snapshot;
  private readonly loaded: Promise<void>;
  private readonly pending = new Set<Promise<void>>();
  private lambda: LambdaClient | undefined;
  private kinesis: KinesisClient | undefined;
  /** Compiled rule patterns by their text, so an event is not matched by recompiling every rule. */
  private readonly patterns = new Map<string, (event: JsonObject) => boolean>();
  /** The pending timer of each scheduled rule, by rule key. */
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(options: EventBridgeEmulatorOptions) {
    this.region = options.region ?? 'us-east-1';
    this.now = options.now ?? Date.now;
    this.log = options.log ?? defaultLog;
    this.sqs = options.sqs;
    this.sns = options.sns;
    this.buses.set('default', { name: 'default', arn: this.busArn('default') });
    const file = options.dataDir === undefined ? undefined : join(options.dataDir, 'state.json');
    this.snapshot = jsonSnapshot<EventsSnapshot>(
      file,
      () => ({ buses: [...this.buses.values()], rules: [...this.rules.values()] }),
      (error) => this.log.error('cannot write the EventBridge snapshot', { file, error: String(error) }),
    );
    this.loaded = this.snapshot.load().then((state) => {
      if (state === undefined) return;
      for (const bus of state.buses) this.buses.set(bus.name, bus);
      for (const rule of state.rules) this.rules.set(ruleKey(rule.bus, rule.name), rule);
      for (const rule of state.rules) this.arm(rule);
    });
  }

  attach(context: StackContext): void {
    this.lambda = lambdaClient(context.aws);
    this.kinesis = kinesisClient(context.aws);
  }

  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  async runSchedule(ruleName: string): Promise<string> {
    await this.loaded;
    const rule = this.rules.get(ruleKey('default', ruleName));
    if (rule?.scheduleExpression === undefined)
      throw new Error(`runSchedule: the default bus has no scheduled rule ${ruleName}`);
    return this.fire(rule);
  }

  /** Sets the rule's timer for its next firing (none for a disabled or unscheduled rule). */
  private arm(rule: Rule): void {
    const key = ruleKey(rule.bus, rule.name);
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    if (this.closed || rule.state !== 'ENABLED' || rule.scheduleExpression === undefined) return;
    const now = this.now();
    const due = nextFire(parseSchedule(rule.scheduleExpression), now);
    if (due === undefined) return;
    // Node timers hold at most about 24.8 days: a later firing re-arms on the way.
    const timer = setTimeout(
      () => {
        this.timers.delete(key);
        if (this.rules.get(key) !== rule) return;
        if (this.now() >= due) this.fire(rule);
        this.arm(rule);
      },
      Math.min(due - now, 2_147_483_647),
    );
    timer.unref();
    this.timers.set(key, timer);
  }

  /** One firing of a scheduled rule: the Scheduled Event to every target. */
  private fire(rule: Rule): string {
    const event: JsonObject = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: LOCAL_ACCOUNT,
      time: new Date(this.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.region,
      resources: [rule.arn],
      detail: {},
    };
    for (const target of rule.targets) this.deliver(rule, target, event);
    return String(event.id);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await this.idle();
    await this.loaded.catch(() => undefined);
    await this.snapshot.flush();
    this.lambda?.destroy();
    this.kinesis?.destroy();
  }

  async handle(request: EdgeRequest): Promise<EdgeResponse> {
    try {
      await Promise.all([this.loaded, this.sqs.ready()]);
      const target = request.headers['x-amz-target'] ?? '';
      const action = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target;
      const output = await this.run(action, parseBody(request.body));
      return {
        status: 200,
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() },
        body: JSON.stringify(output),
      };
    } catch (error) {
      const failure =
        error instanceof EventsError
          ? error
          : new EventsError('InternalException', error instanceof Error ? error.message : String(error), 500);
      if (failure.status >= 500)
        this.log.error('EventBridge emulator failed on a request', { error: failure.message });
      return {
        status: failure.status,
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'x-amzn-errortype': failure.type,
          'x-amzn-requestid': randomUUID(),
        },
        body: JSON.stringify({ __type: failure.type, message: failure.message }),
      };
    }
  }

  private pattern(text: string): (event: JsonObject) => boolean {
    let compiled = this.patterns.get(text);
    if (compiled === undefined) {
      compiled = compileRulePattern(text);
      this.patterns.set(text, compiled);
    }
    return compiled;
  }

  private busArn(name: string): string {
    return localArn('events', this.region, `event-bus/${name}`);
  }

  /** The bus a `Name`/`EventBusName` field names (by name or ARN); `default` when absent. */
  private bus(nameOrArn: unknown): Bus {
    const given = typeof nameOrArn === 'string' && nameOrArn !== '' ? nameOrArn : 'default';
    const name = given.startsWith('arn:')
      ? (parseArn(given)?.resource.replace(/^event-bus\//, '') ?? given)
      : given;
    const bus = this.buses.get(name);
    if (bus === undefined)
      throw new EventsError('ResourceNotFoundException', `Event bus ${name} does not exist.`);
    return bus;
  }

  private rule(input: Json, field = 'Name'): Rule {
    const bus = this.bus(input.EventBusName);
    const name = requiredString(input, field);
    const rule = this.rules.get(ruleKey(bus.name, name));
    if (rule === undefined)
      throw new EventsError(
        'ResourceNotFoundException',
        `Rule ${name} does not exist on EventBus ${bus.name}.`,
      );
    return rule;
  }

  private async run(action: string, input: Json): Promise<Json> {
    switch (action) {
      case 'CreateEventBus': {
        const name = requiredString(input, 'Name');
        if (!BUS_NAME.test(name) || name === 'default' || name.includes('/'))
          throw validation(
            `Event bus name '${name}' is not valid: 1 to 256 of A-Z a-z 0-9 . - _, and not 'default'`,
          );
        if (this.buses.has(name))
          throw new EventsError('ResourceAlreadyExistsException', `Event bus ${name} already exists.`);
        const bus = { name, arn: this.busArn(name) };
        this.buses.set(name, bus);
        this.snapshot.changed();
        return { EventBusArn: bus.arn };
      }
      case 'DescribeEventBus': {
        const bus = this.bus(input.Name);
        return { Name: bus.name, Arn: bus.arn };
      }
      case 'ListEventBuses': {
        const prefix = optionalString(input, 'NamePrefix') ?? '';
        return {
          EventBuses: [...this.buses.values()]
            .filter((bus) => bus.name.startsWith(prefix))
            .map((bus) => ({ Name: bus.name, Arn: bus.arn })),
        };
      }
      case 'DeleteEventBus': {
        const name = requiredString(input, 'Name');
        if (name === 'default') throw validation('Cannot delete event bus default.');
        this.buses.delete(name);
        for (const [key, rule] of this.rules) if (rule.bus === name) this.rules.delete(key);
        this.snapshot.changed();
        return {};
      }
      case 'PutRule':
        return { RuleArn: this.putRule(input) };
      case 'DescribeRule':
        return describeRule(this.rule(input));
      case 'ListRules': {
        const bus = this.bus(input.EventBusName);
        const prefix = optionalString(input, 'NamePrefix') ?? '';
        const rules = [...this.rules.values()]
          .filter((rule) => rule.bus === bus.name && rule.name.startsWith(prefix))
          .sort((a, b) => a.name.localeCompare(b.name));
        return { Rules: rules.map(describeRule) };
      }
      case 'EnableRule':
      case 'DisableRule': {
        const rule = this.rule(input);
        rule.state = action === 'EnableRule' ? 'ENABLED' : 'DISABLED';
        this.arm(rule);
        this.snapshot.changed();
        return {};
      }
      case 'DeleteRule': {
        const rule = this.rule(input);
        if (rule.targets.length > 0) throw validation("Rule can't be deleted since it has targets.");
        this.rules.delete(ruleKey(rule.bus, rule.name));
        this.arm({ ...rule, state: 'DISABLED' });
        this.snapshot.changed();
        return {};
      }
      case 'PutTargets':
        return this.putTargets(input);
      case 'ListTargetsByRule':
        return { Targets: this.rule(input, 'Rule').targets };
      case 'RemoveTargets': {
        const rule = this.rule(input, 'Rule');
        const ids = stringList(input, 'Ids');
        rule.targets = rule.targets.filter((target) => !ids.includes(target.Id));
        this.snapshot.changed();
        return { FailedEntryCount: 0, FailedEntries: [] };
      }
      case 'PutEvents':
        return this.putEvents(input);
      case 'TestEventPattern': {
        const match = compileRulePattern(requiredString(input, 'EventPattern'));
        const event = parseJson(requiredString(input, 'Event'), 'Event');
        return { Result: match(event) };
      }
      default:
        throw new EventsError(
          'UnknownOperationException',
          `The local EventBridge does not serve '${action}'; it serves CreateEventBus, DescribeEventBus, ListEventBuses, DeleteEventBus, PutRule, DescribeRule, ListRules, EnableRule, DisableRule, DeleteRule, PutTargets, ListTargetsByRule, RemoveTargets, PutEvents, TestEventPattern`,
        );
    }
  }

  private putRule(input: Json): string {
    const bus = this.bus(input.EventBusName);
    const name = requiredString(input, 'Name');
    if (!NAME.test(name)) throw validation(`Rule name '${name}' is not valid: 1 to 64 of A-Z a-z 0-9 . - _`);
    const schedule = optionalString(input, 'ScheduleExpression');
    if (schedule !== undefined) {
      if (bus.name !== 'default')
        throw validation(`Rule ${name}: ScheduleExpression is supported only on the default event bus.`);
      try {
        parseSchedule(schedule);
      } catch (error) {
        if (error instanceof ScheduleError) throw validation(`Rule ${name}: ${error.message}`);
        throw error;
      }
    }
    const pattern = optionalString(input, 'EventPattern');
    if (pattern === undefined && schedule === undefined)
      throw validation(`Rule ${name}: give an EventPattern, a ScheduleExpression, or both`);
    if (pattern !== undefined) this.pattern(pattern);
    const state = optionalString(input, 'State') ?? 'ENABLED';
    if (state !== 'ENABLED' && state !== 'DISABLED')
      throw validation(`Rule ${name}: State must be ENABLED or DISABLED`);
    const description = optionalString(input, 'Description');
    const key = ruleKey(bus.name, name);
    const existing = this.rules.get(key);
    const arn = localArn(
      'events',
      this.region,
      bus.name === 'default' ? `rule/${name}` : `rule/${bus.name}/${name}`,
    );
    const rule: Rule = {
      name,
      bus: bus.name,
      arn,
      ...(pattern === undefined ? {} : { eventPattern: pattern }),
      ...(schedule === undefined ? {} : { scheduleExpression: schedule }),
      state,
      ...(description === undefined ? {} : { description }),
      targets: existing?.targets ?? [],
    };
    this.rules.set(key, rule);
    this.arm(rule);
    this.snapshot.changed();
    return arn;
  }

  private putTargets(input: Json): Json {
    const rule = this.rule(input, 'Rule');
    const given = input.Targets;
    if (!Array.isArray(given) || given.length === 0 || given.length > 10)
      throw validation('Targets: 1 to 10 targets per request');
    const failed: Json[] = [];
    const targets = [...rule.targets];
    for (const raw of given as unknown[]) {
      const target = (typeof raw === 'object' && raw !== null ? raw : {}) as Target;
      const fail = (code: string, message: string) =>
        failed.push({ TargetId: target.Id, ErrorCode: code, ErrorMessage: message });
      const service = typeof target.Arn === 'string' ? parseArn(target.Arn)?.service : undefined;
      if (typeof target.Id !== 'string' || !/^[.\-_A-Za-z0-9]{1,64}$/.test(target.Id)) {
        fail('ValidationException', `Target Id '${String(target.Id)}' is not valid`);
      } else if (service === undefined || !TARGET_SERVICES.has(service)) {
        fail(
          'ValidationException',
          `Target ${target.Id}: '${String(target.Arn)}' is not an ARN the local EventBridge delivers to (sqs, sns, lambda, kinesis, events)`,
        );
      } else if (
        service === 'sqs' &&
        target.Arn.endsWith('.fifo') &&
        target.SqsParameters?.MessageGroupId === undefined
      ) {
        fail(
          'ValidationException',
          `Target ${target.Id}: a FIFO queue target needs SqsParameters.MessageGroupId`,
        );
      } else if (
        [target.Input, target.InputPath, target.InputTransformer].filter((v) => v !== undefined).length > 1
      ) {
        fail(
          'ValidationException',
          `Target ${target.Id}: Input, InputPath and InputTransformer exclude each other`,
        );
      } else {
        const index = targets.findIndex((existing) => existing.Id === target.Id);
        if (index >= 0) targets[index] = target;
        else targets.push(target);
      }
    }
    if (targets.length > 5)
      throw new EventsError(
        'LimitExceededException',
        `The requested resource exceeds the maximum number allowed (5 targets per rule ${rule.name}).`,
      );
    rule.targets = targets;
    this.snapshot.changed();
    return { FailedEntryCount: failed.length, FailedEntries: failed };
  }

  private putEvents(input: Json): Json {
    const entries = input.Entries;
    if (!Array.isArray(entries) || entries.length === 0 || entries.length > 10)
      throw validation('Entries: 1 to 10 entries per request');
    const results: Json[] = [];
    let failed = 0;
    for (const raw of entries as unknown[]) {
      const entry = (typeof raw === 'object' && raw !== null ? raw : {}) as Json;
      try {
        results.push({ EventId: this.putEvent(entry) });
      } catch (error) {
        if (!(error instanceof EventsError)) throw error;
        failed += 1;
        results.push({ ErrorCode: error.type, ErrorMessage: error.message });
      }
    }
    return { FailedEntryCount: failed, Entries: results };
  }

  private putEvent(entry: Json): string {
    for (const field of ['Source', 'DetailType', 'Detail']) {
      if (typeof entry[field] !== 'string' || entry[field] === '')
        throw new EventsError(
          'InvalidArgument',
          `Parameter ${field} is not valid. Reason: ${field} is a required argument.`,
        );
    }
    let detail: unknown;
    try {
      detail = JSON.parse(String(entry.Detail));
    } catch {
      detail = undefined;
    }
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail))
      throw new EventsError('MalformedDetail', 'Detail is malformed.');
    const bus = this.bus(entry.EventBusName);
    const time = typeof entry.Time === 'number' ? entry.Time * 1000 : this.now();
    const event: JsonObject = {
      version: '0',
      id: randomUUID(),
      'detail-type': String(entry.DetailType),
      source: String(entry.Source),
      account: LOCAL_ACCOUNT,
      time: new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.region,
      resources: Array.isArray(entry.Resources) ? (entry.Resources as string[]) : [],
      detail: detail as JsonObject,
    };
    this.route(bus, event);
    return String(event.id);
  }

  /** Sends an event to the targets of every enabled rule of `bus` that matches it. */
  private route(bus: Bus, event: JsonObject): void {
    for (const rule of this.rules.values()) {
      if (rule.bus !== bus.name || rule.state !== 'ENABLED' || rule.eventPattern === undefined) continue;
      if (!this.pattern(rule.eventPattern)(event)) continue;
      for (const target of rule.targets) this.deliver(rule, target, event);
    }
  }

  private deliver(rule: Rule, target: Target, event: JsonObject): void {
    const failed = (error: unknown): void =>
      this.log.error('EventBridge delivery failed', {
        rule: rule.name,
        targetId: target.Id,
        arn: target.Arn,
        eventId: event.id,
        error: error instanceof Error ? error.message : String(error),
      });
    try {
      const text = targetInput(target, event);
      const arn = parseArn(target.Arn);
      switch (arn?.service) {
        case 'sqs': {
          const groupId = target.SqsParameters?.MessageGroupId;
          this.sqs.queues.sendToArn(target.Arn, {
            body: text,
            ...(groupId === undefined ? {} : { groupId, dedupId: String(event.id) }),
          });
          return;
        }
        case 'sns':
          this.track(
            this.sns.publish(target.Arn, { message: text }).then(() => undefined),
            failed,
          );
          return;
        case 'events': {
          const bus = this.bus(target.Arn);
          this.route(bus, event);
          return;
        }
        case 'lambda': {
          const lambda = this.lambda;
          if (lambda === undefined) throw new Error('the EventBridge emulator is not registered in a stack');
          this.track(
            lambda
              .send(
                new InvokeCommand({
                  FunctionName: target.Arn,
                  InvocationType: 'Event',
                  Payload: Buffer.from(text),
                }),
              )
              .then(() => undefined),
            failed,
          );
          return;
        }
        case 'kinesis': {
          const kinesis = this.kinesis;
          if (kinesis === undefined) throw new Error('the EventBridge emulator is not registered in a stack');
          const path = target.KinesisParameters?.PartitionKeyPath;
          const key = path === undefined ? undefined : jsonPath(event, path);
          this.track(
            kinesis
              .send(
                new PutRecordCommand({
                  StreamName: arn.resource.replace(/^stream\//, ''),
                  PartitionKey:
                    key === undefined || key === null
                      ? String(event.id)
                      : typeof key === 'string'
                        ? key
                        : JSON.stringify(key),
                  Data: Buffer.from(text),
                }),
              )
              .then(() => undefined),
            failed,
          );
          return;
        }
        default:
          throw new Error(`no delivery for target ${target.Arn}`);
      }
    } catch (error) {
      failed(error);
    }
  }

  private track(delivery: Promise<void>, failed: (error: unknown) => void): void {
    const settled = delivery.catch(failed);
    this.pending.add(settled);
    void settled.finally(() => this.pending.delete(settled));
  }
}

function ruleKey(bus: string, name: string): string {
  return `${bus}\u0000${name}`;
}

function describeRule(rule: Rule): Json {
  return {
    Name: rule.name,
    Arn: rule.arn,
    EventBusName: rule.bus,
    State: rule.state,
    ...(rule.eventPattern === undefined ? {} : { EventPattern: rule.eventPattern }),
    ...(rule.scheduleExpression === undefined ? {} : { ScheduleExpression: rule.scheduleExpression }),
    ...(rule.description === undefined ? {} : { Description: rule.description }),
  };
}

/** Compiles a rule's pattern; a bad one is EventBridge's InvalidEventPatternException. */
function compileRulePattern(text: string): (event: JsonObject) => boolean {
  try {
    return compilePattern(parseJson(text, 'EventPattern'));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (error instanceof PatternError || error instanceof EventsError)
      throw new EventsError('InvalidEventPatternException', `Event pattern is not valid. Reason: ${reason}`);
    throw error;
  }
}

/** The text a target receives: the event, a constant `Input`, the part at `InputPath`, or a template. */
function targetInput(target: Target, event: JsonObject): string {
  if (target.Input !== undefined) return target.Input;
  if (target.InputPath !== undefined) return JSON.stringify(jsonPath(event, target.InputPath) ?? null);
  const transformer = target.InputTransformer;
  if (transformer === undefined) return JSON.stringify(event);
  const values = new Map<string, JsonValue | undefined>();
  for (const [name, path] of Object.entries(transformer.InputPathsMap ?? {}))
    values.set(name, jsonPath(event, path));
  // A placeholder stands for the value: inside a JSON string (or in a template that is not JSON) a
  // string's text as it is; outside quotes in a JSON template the value as JSON, so a string is quoted
  // (the form CDK's RuleTargetInput.fromObject writes: `{"id":<id>}`). Anything else is JSON (AWS's rule).
  const template = transformer.InputTemplate;
  const json = /^\s*[{[]/.test(template);
  let out = '';
  let inString = false;
  for (let i = 0; i < template.length; i += 1) {
    const c = template[i] ?? '';
    if (c === '\\' && inString) {
      out += c + (template[i + 1] ?? '');
      i += 1;
      continue;
    }
    if (c === '"') inString = !inString;
    const placeholder = c === '<' ? /^<([\w.-]+)>/.exec(template.slice(i)) : null;
    const name = placeholder?.[1];
    if (
      placeholder === null ||
      name === undefined ||
      (name !== 'aws.events.event.json' && !values.has(name))
    ) {
      out += c;
      continue;
    }
    const value = name === 'aws.events.event.json' ? event : values.get(name);
    out += typeof value === 'string' && (inString || !json) ? value : JSON.stringify(value ?? null);
    i += placeholder[0].length - 1;
  }
  return out;
}

/** Reads `$.a.b[0]` (the dotted JSONPath subset EventBridge takes in InputPath and PartitionKeyPath). */
function jsonPath(document: JsonValue, path: string): JsonValue | undefined {
  if (path === '$') return document;
  if (!path.startsWith('$.')) throw validation(`JSON path '${path}' must start with $.`);
  let current: JsonValue | undefined = document;
  for (const part of path.slice(2).split('.')) {
    const match = /^([^[\]]+)((?:\[\d+\])*)$/.exec(part);
    if (match === null) throw validation(`JSON path '${path}' is not a dotted path`);
    current = isObject(current) ? current[match[1] ?? ''] : undefined;
    for (const index of (match[2] ?? '').match(/\d+/g) ?? []) {
      current = Array.isArray(current) ? current[Number(index)] : undefined;
    }
  }
  return current;
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseBody(body: Buffer): Json {
  if (body.length === 0) return {};
  const parsed = parseJson(body.toString('utf8'), 'request body');
  if (!isObject(parsed))
    throw new EventsError('SerializationException', 'The request body must be a JSON object');
  return parsed;
}

function parseJson(text: string, what: string): JsonObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw validation(`${what} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parsed as JsonObject;
}

const { optionalString, requiredString, stringList } = requestFields(validation);
