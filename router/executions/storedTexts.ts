/**
 * The JSON texts a finished execution stores for its input and output, and the values read back from
 * them. A message's input is its own text in the record (a CloudEvent's `data` as the producer wrote
 * it), and an output that adds members to that input is written from that text: serialising either
 * again costs more than the rest of a short standard run.
 */
import type { ExecutionState, JsonValue } from '../asl/index.ts';
import { extendedText, memberText } from '../jsonText.ts';
import type { ExecutionRecord } from './ExecutionStore.ts';

/** A message's input: the parsed value, and the record's text it was parsed from when there is one. */
export interface InputSource {
  readonly input: JsonValue;
  /** The record's JSON text: the whole input, or its top-level member {@link inputMember}. */
  readonly sourceText?: string;
  /** The member of {@link sourceText} that is the input (a CloudEvent's `data`); absent for the whole text. */
  readonly inputMember?: string;
}

/** The input's text, cut from its record's text; undefined without one. */
export function sourceInputText(source: InputSource): string | undefined {
  const text = source.sourceText;
  if (text === undefined) return undefined;
  return source.inputMember === undefined ? text.trim() : memberText(text, source.inputMember);
}

/**
 * The output's text: written from the input's text (`inputText`, from {@link sourceInputText}) when the
 * output is that input with members added after its own, else serialised whole.
 */
export function outputText(
  output: JsonValue,
  source: InputSource | undefined,
  inputText: string | undefined,
): string {
  const extended =
    source === undefined || inputText === undefined
      ? undefined
      : extendedText(output, source.input, inputText);
  return extended ?? JSON.stringify(output);
}

/** The input a record keeps (its checkpoint's, or the one kept after its checkpoint was dropped). */
export function inputOf(record: ExecutionRecord): JsonValue {
  try {
    if (record.checkpoint !== undefined) {
      return (JSON.parse(record.checkpoint) as ExecutionState).context.input;
    }
    return record.input === undefined ? null : (JSON.parse(record.input) as JsonValue);
  } catch {
    return null;
  }
}

/** Stored JSON text as JSON (null when it does not parse). */
export function parsedOr(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return null;
  }
}
