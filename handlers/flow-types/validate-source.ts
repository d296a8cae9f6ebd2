/**
 * Seed 000, the validation Lambda (every source type): checks the source and fixes the run's filters
 * for its flow. On the source's first run (`runtime_count` 1) it switches a NORMAL run to the Backdated
 * flow ("Full Load"), as the seed's validation Lambda does. Pure: the dates come from the execution's
 * start time, so a retry computes the same window.
 */
import { type FlowConfig, type FlowFilters, filtersFor, flowConfigOf, isoDate, stringOf } from './flow.ts';

const STEP = 'flow-types-validate-source';

/** The step handler. */
export async function handler(event: unknown): Promise<FlowFilters & { source_id: string }> {
  const sourceId = stringOf(event, 'source_id', STEP);
  const input = event as Record<string, unknown>;
  let flow: FlowConfig = flowConfigOf(input.flow, STEP);
  const runtimeCount = input.runtime_count;
  if (
    runtimeCount !== undefined &&
    (typeof runtimeCount !== 'number' || !Number.isInteger(runtimeCount) || runtimeCount < 0)
  ) {
    throw new TypeError(`${STEP}: input field 'runtime_count' must be a whole number`);
  }
  if (flow.type === 'NORMAL' && runtimeCount === 1) {
    flow = { type: 'FULL_LOAD', date_field: 'last_modified_date', backdate_days: flow.backdate_days ?? 30 };
  }
  const watermark =
    input.last_modified_watermark === undefined || input.last_modified_watermark === null
      ? undefined
      : isoDate(input.last_modified_watermark, `${STEP}: last_modified_watermark`);
  const asOf = stringOf(event, 'as_of', STEP);
  return { source_id: sourceId, ...filtersFor(flow, asOf, watermark) };
}
