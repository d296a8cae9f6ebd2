/**
 * The options an SDK call is sent with for an invoke's signal. An invoke only the end of the process
 * stops gets none: the SDK's HTTP handler adds and removes a listener on the signal for every request,
 * and on a signal shared by every invoke of a batch that costs more than a short step's own work.
 */
import { UNCANCELLABLE_SIGNAL } from '../asl/index.ts';

/** `{ abortSignal }` for a signal the run may abort, `{}` for one nothing aborts. */
export function abortOptions(signal: AbortSignal): { abortSignal?: AbortSignal } {
  return signal === UNCANCELLABLE_SIGNAL ? {} : { abortSignal: signal };
}
