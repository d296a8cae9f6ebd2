/**
 * The data-flow steps around a state's work: InputPath selects the effective input, ResultPath places
 * the result into the raw input, OutputPath selects what goes on to the next state.
 *
 * ```
 *  raw input --InputPath--> [Parameters] --> work --> [ResultSelector] --ResultPath(raw input)--> OutputPath --> output
 * ```
 *
 * Omitted fields default to `$`. `null` is meaningful: InputPath null gives the state `{}`, ResultPath
 * null discards the result and passes the raw input on, OutputPath null sends `{}`.
 */
import type { JsonValue } from '../types.ts';
import { InternTable } from './interned.ts';
import { type CompiledPath, compilePath, compileSetter } from './paths.ts';

/** A compiled InputPath or OutputPath. */
export type CompiledSelector = (value: JsonValue, context: JsonValue) => JsonValue;

/** A compiled ResultPath: places `result` into `input`. */
export type CompiledResultPath = (input: JsonValue, result: JsonValue) => JsonValue;

/*
 * The steps that do not depend on a path are one function each, shared by every state of every graph, as
 * compiled paths are (interned by their text): a call site in the interpreter then meets the same few
 * functions however many engines a router has loaded.
 */
const passValue: CompiledSelector = (value) => value;
const emptyObject: CompiledSelector = () => ({});
const resultAsOutput: CompiledResultPath = (_input, result) => result;
const inputAsOutput: CompiledResultPath = (input) => input;
const resultBoundAsOutput: ResultPathBound = (_input, result) => result;
const inputBoundAsOutput: ResultPathBound = (input) => input;

/** Compiles InputPath / OutputPath (same semantics, both select with a path or discard with null). */
function compileSelector(path: string | null | undefined): CompiledSelector {
  if (path === undefined || path === '$') return passValue;
  if (path === null) return emptyObject;
  const select: CompiledPath = compilePath(path);
  return select;
}

/** Compiles an InputPath once: undefined or `$` passes the input, null gives `{}`. */
export function compileInputPath(path: string | null | undefined): CompiledSelector {
  return compileSelector(path);
}

/** Compiles an OutputPath once: undefined or `$` passes the output, null gives `{}`. */
export function compileOutputPath(path: string | null | undefined): CompiledSelector {
  return compileSelector(path);
}

/**
 * Compiles a ResultPath once: undefined or `$` makes the result the output, null keeps the input and drops
 * the result, any other reference path writes the result into a copy of the input (failing with
 * `States.ResultPathMatchFailure` when the input cannot hold it).
 */
export function compileResultPath(path: string | null | undefined): CompiledResultPath {
  if (path === undefined || path === '$') return resultAsOutput;
  if (path === null) return inputAsOutput;
  return compileSetter(path);
}

/** An upper bound of a ResultPath's output size from bounds of its input and its result (NaN: unknown). */
export type ResultPathBound = (inputBound: number, resultBound: number) => number;

/**
 * Bounds what a ResultPath writes without walking it, so the payload size limit is checked once per value
 * rather than once per state: `$` is the result, null the input, and a reference path adds to both at most
 * a key and a pair of braces per segment, which twelve bytes per character of the path cover.
 */
export function resultPathBound(path: string | null | undefined): ResultPathBound {
  if (path === undefined || path === '$') return resultBoundAsOutput;
  if (path === null) return inputBoundAsOutput;
  const known = pathBounds.get(path);
  if (known !== undefined) return known;
  const growth = 12 * path.length;
  return pathBounds.keep(path, (input, result) => input + result + growth);
}

/** ResultPath bounds by the path's text. */
const pathBounds = new InternTable<ResultPathBound>();

/** Applies an InputPath once (see {@link compileInputPath}). */
export function applyInputPath(
  input: JsonValue,
  path: string | null | undefined,
  context: JsonValue = {},
): JsonValue {
  return compileInputPath(path)(input, context);
}

/** Applies a ResultPath once (see {@link compileResultPath}). */
export function applyResultPath(
  input: JsonValue,
  result: JsonValue,
  path: string | null | undefined,
): JsonValue {
  return compileResultPath(path)(input, result);
}

/** Applies an OutputPath once (see {@link compileOutputPath}). */
export function applyOutputPath(
  output: JsonValue,
  path: string | null | undefined,
  context: JsonValue = {},
): JsonValue {
  return compileOutputPath(path)(output, context);
}
