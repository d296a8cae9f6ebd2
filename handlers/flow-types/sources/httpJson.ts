/**
 * Source type `http-json`: a paginated JSON HTTP API that filters by date itself.
 *
 * ```
 * GET {base_url}/v1/listings?modified_from=ISO&modified_to=ISO&limit=N[&cursor=C]   (sold_from / sold_to)
 * 200 { "listings": [ { "id", "address": { "street", "city" }, "price": { "amount", "currency" },
 *                       "propertyType", "updatedAt": ISO, "soldOn": "YYYY-MM-DD" | null } ],
 *       "next_cursor": "..." | null }
 * ```
 *
 * Connection settings: `{ "base_url": "https://...", "page_size"?: 100, "api_key"?: "..." }`.
 */
import { type Listing, SourceFormatError, type SourceReader, SourceUnavailable, setting } from './types.ts';

function listingOf(item: unknown, where: string): Listing {
  const fail = (reason: string): never => {
    throw new SourceFormatError(`${where}: ${reason}`);
  };
  if (typeof item !== 'object' || item === null) return fail('not an object');
  const record = item as Record<string, unknown>;
  const address = record.address as Record<string, unknown> | undefined;
  const price = record.price as Record<string, unknown> | undefined;
  const id = record.id;
  const updatedAt = record.updatedAt;
  const soldOn = record.soldOn ?? null;
  if (typeof id !== 'string' || id === '') return fail("'id' must be a non-empty string");
  if (typeof address?.street !== 'string' || typeof address.city !== 'string')
    return fail("'address' must hold 'street' and 'city'");
  if (typeof price?.amount !== 'number' || !Number.isFinite(price.amount))
    return fail("'price.amount' must be a number");
  if (typeof record.propertyType !== 'string') return fail("'propertyType' must be a string");
  if (typeof updatedAt !== 'string' || Number.isNaN(Date.parse(updatedAt)))
    return fail("'updatedAt' must be an ISO timestamp");
  if (soldOn !== null && (typeof soldOn !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(soldOn)))
    return fail("'soldOn' must be YYYY-MM-DD or null");
  return {
    listing_id: id,
    address: address.street,
    city: address.city,
    price: Math.round(price.amount),
    property_type: record.propertyType,
    last_modified: new Date(updatedAt).toISOString(),
    sold_date: soldOn,
  };
}

/** Follows `next_cursor` until the API says there is no more. */
export const httpJsonSource: SourceReader = {
  async read(sourceId, connection, window) {
    const base = String(setting(sourceId, connection, 'base_url', 'string')).replace(/\/+$/, '');
    const pageSize = typeof connection.page_size === 'number' ? connection.page_size : 100;
    const apiKey = typeof connection.api_key === 'string' ? connection.api_key : undefined;
    const prefix = window.date_field === 'sold_date' ? 'sold' : 'modified';
    const listings: Listing[] = [];
    let cursor: string | undefined;
    for (let page = 1; ; page++) {
      const url = new URL(`${base}/v1/listings`);
      url.searchParams.set(`${prefix}_from`, window.from);
      url.searchParams.set(`${prefix}_to`, window.to);
      url.searchParams.set('limit', String(pageSize));
      if (cursor !== undefined) url.searchParams.set('cursor', cursor);
      let response: Response;
      try {
        response = await fetch(url, { headers: apiKey === undefined ? {} : { 'x-api-key': apiKey } });
      } catch (error) {
        throw new SourceUnavailable(`source '${sourceId}': GET ${url.origin}${url.pathname} failed`, {
          cause: error,
        });
      }
      const text = await response.text();
      if (!response.ok) {
        throw new SourceUnavailable(
          `source '${sourceId}': GET ${url.pathname} page ${page} answered ${response.status}: ${text.slice(0, 200)}`,
        );
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch (error) {
        throw new SourceFormatError(`source '${sourceId}': page ${page} is not JSON`, { cause: error });
      }
      const items = (body as { listings?: unknown }).listings;
      if (!Array.isArray(items))
        throw new SourceFormatError(`source '${sourceId}': page ${page} has no 'listings' array`);
      items.forEach((item, index) => {
        listings.push(listingOf(item, `source '${sourceId}': page ${page}, listing ${index}`));
      });
      const next = (body as { next_cursor?: unknown }).next_cursor;
      if (typeof next !== 'string' || next === '') return listings;
      cursor = next;
    }
  },
};
