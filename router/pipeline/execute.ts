/**
 * Execute: a routed, admitted message runs its graph, express in memory or standard with a claimed
 * record, on the version its alias chose (or, for an execution taken over, the version it started on).
 */

import type { CompiledGraph } from '../asl/index.ts';
import { describeRecord, InputError } from '../errors.ts';
import type {
  ExecutionKey,
  ExecutionLifecycle,
  ParentLink,
  RunDeps,
  RunOutcome,
  StartingMessage,
} from '../executions/index.ts';
import { childStartAttributes, executionGraph, mapProcessorOf } from '../executions/index.ts';
import type { Writable } from '../records.ts';
import type { LoadedEngine } from '../registry/index.ts';
import type { Admission } from './claim.ts';
import type { DecodedOk, DecodedRecord } from './decode.ts';

/** What executing a message needs from the batch. */
export interface ExecuteContext {
  readonly lifecycle: ExecutionLifecycle;
  /** The version the message's alias chooses for it. */
  readonly resolve: (key: ExecutionKey) => LoadedEngine<CompiledGraph> | Promise<LoadedEngine<CompiledGraph>>;
  /** A specific version: an execution already started is pinned to its own. */
  readonly pinned: (engine: string, version: number) => Promise<LoadedEngine<CompiledGraph>>;
  /** The version an alias other than the live one chooses (a child started on `NAME:ALIAS`). */
  readonly aliased: (key: ExecutionKey, alias: string) => Promise<LoadedEngine<CompiledGraph>>;
  readonly run: RunDeps;
}

/** Runs one message's execution and answers what happened. */
export async function executeMessage(
  d: DecodedOk,
  key: ExecutionKey,
  admission: Extract<Admission, { kind: 'run' }>,
  context: ExecuteContext,
): Promise<RunOutcome> {
  const message = startingMessage(d, key);
  const { known } = admission;
  const qualifier =
    d.envelope.kind === 'cloudevent' ? childStartAttributes(d.envelope.event).qualifier : undefined;
  const version =
    known !== null
      ? await context.pinned(key.engine, known.version)
      : qualifier === undefined
        ? await context.resolve(key)
        : await qualified(context, key, qualifier);
  const loaded = mapChild(version, message.parent, d);
  if (admission.mode === 'express') return context.lifecycle.runExpress(message, loaded, context.run);
  return context.lifecycle.runStandard(message, loaded, known, context.run);
}

/** A distributed Map's child runs its Map's item processor, of the version its parent runs. */
function mapChild(
  loaded: LoadedEngine<CompiledGraph>,
  parent: ParentLink | undefined,
  d: DecodedOk,
): LoadedEngine<CompiledGraph> {
  const graph = executionGraph(loaded, parent);
  if (graph === undefined) {
    throw new InputError(
      `${describe(d)}: engine ${loaded.engine}@${loaded.version} has no distributed Map at ${JSON.stringify(parent?.processor)}`,
    );
  }
  return graph;
}

/** The execution a message starts: its input is the CloudEvent's `data` (or the raw body). */
export function startingMessage(d: DecodedOk, key: ExecutionKey): StartingMessage {
  const envelope = d.envelope;
  const data = envelope.kind === 'cloudevent' ? envelope.event.data : undefined;
  const message: Writable<StartingMessage> = {
    key,
    origin: { shardId: d.shardId, sequenceNumber: d.sequenceNumber, partitionKey: d.partitionKey },
    label: describe(d),
    input: envelope.kind === 'raw' ? envelope.body : (data ?? {}),
    inputBytes: d.bytes,
  };
  if (envelope.kind === 'cloudevent') {
    if (data !== undefined && data !== null && d.text !== undefined) {
      message.sourceText = d.text;
      message.inputMember = 'data';
    }
    message.name = envelope.event.id;
    const link = childStartAttributes(envelope.event).parent;
    const processor = mapProcessorOf(envelope.event);
    const parent = link === undefined || processor === undefined ? link : { ...link, processor };
    if (parent !== undefined) message.parent = parent;
  } else if (envelope.kind === 'raw' && d.text !== undefined) message.sourceText = d.text;
  return message;
}

/** The version a child start record's qualifier names: a version number, or an alias. */
function qualified(
  context: ExecuteContext,
  key: ExecutionKey,
  qualifier: string,
): Promise<LoadedEngine<CompiledGraph>> {
  const version = Number(qualifier);
  if (/^[1-9]\d*$/.test(qualifier) && Number.isSafeInteger(version))
    return context.pinned(key.engine, version);
  return context.aliased(key, qualifier);
}

/** Names a record in messages: `record shard ... sequence ...[#sub]`. */
export function describe(d: DecodedRecord): string {
  return describeRecord(d);
}

/** The record's position, as log fields. */
export function refOf(d: DecodedRecord): Record<string, string | number> {
  return {
    shardId: d.shardId,
    sequenceNumber: d.sequenceNumber,
    partitionKey: d.partitionKey,
    ...(d.subSequence === undefined ? {} : { subSequence: d.subSequence }),
  };
}
