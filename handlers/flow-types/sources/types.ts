/**
 * What every source type delivers, whatever its upstream format: listings in one shape, read for one
 * window. A source type is a {@link SourceReader}; `index.ts` maps `public.source.source_type` to it.
 */
import type { Window } from '../flow.ts';

/** One upstream record as the target table `public.listing` holds it. */
export interface Listing {
  readonly listing_id: string;
  readonly address: string;
  readonly city: string;
  /** Whole currency units. */
  readonly price: number;
  readonly property_type: string;
  /** ISO timestamp. */
  readonly last_modified: string;
  /** `YYYY-MM-DD`, or null while unsold. */
  readonly sold_date: string | null;
}

/** Reads a source's listings inside a window, with the connection settings from `public.source`. */
export interface SourceReader {
  read(sourceId: string, connection: Readonly<Record<string, unknown>>, window: Window): Promise<Listing[]>;
}

/** The upstream answered something this source type cannot read: names the source, the place and why. */
export class SourceFormatError extends Error {
  override readonly name = 'FlowTypes.SourceFormatError';
}

/** The upstream could not be reached or refused the request (retryable by the graph). */
export class SourceUnavailable extends Error {
  override readonly name = 'FlowTypes.SourceUnavailable';
}

/** Whether a listing falls inside a window (`from <= value < to` on the window's column). */
export function inWindow(listing: Listing, window: Window): boolean {
  const value =
    window.date_field === 'sold_date'
      ? listing.sold_date === null
        ? undefined
        : `${listing.sold_date}T00:00:00.000Z`
      : listing.last_modified;
  if (value === undefined) return false;
  const time = Date.parse(value);
  return time >= Date.parse(window.from) && time < Date.parse(window.to);
}

/** Reads a required connection setting. */
export function setting(
  sourceId: string,
  connection: Readonly<Record<string, unknown>>,
  name: string,
  kind: 'string' | 'number',
): string | number {
  const value = connection[name];
  if (typeof value !== kind || value === '') {
    throw new TypeError(`public.source '${sourceId}': connection.${name} must be a ${kind}`);
  }
  return value as string | number;
}
