/**
 * A ResultWriter's WriterConfig Transformation, applied to the records of a distributed Map's children:
 * shared by the S3 write (`router/invoke/ResultWriter.ts`) and a WriterConfig given alone, which shapes
 * the Map's output. `NONE` keeps each record; `COMPACT` keeps a succeeded child's output; `FLATTEN` also
 * spreads an output that is an array into its elements. A child that did not succeed keeps its record.
 */
import { isJsonObject, type JsonValue } from '../types.ts';
import type { CompiledWriterConfig } from './compiled.ts';

/** The values a set of child records becomes under a Transformation. */
export function shapeRecords(
  records: readonly JsonValue[],
  transformation: CompiledWriterConfig['transformation'],
): JsonValue[] {
  if (transformation === 'NONE') return [...records];
  const out: JsonValue[] = [];
  for (const record of records) {
    if (!isJsonObject(record) || record.Status !== 'SUCCEEDED') {
      out.push(record);
      continue;
    }
    const output = typeof record.Output === 'string' ? (JSON.parse(record.Output) as JsonValue) : null;
    if (transformation === 'FLATTEN' && Array.isArray(output)) out.push(...output);
    else out.push(output);
  }
  return out;
}

/** An array of outputs with each array output spread into its elements (FLATTEN of a Map's output). */
export function flattenOutputs(outputs: readonly JsonValue[]): JsonValue[] {
  return outputs.flatMap((output) => (Array.isArray(output) ? output : [output]));
}
