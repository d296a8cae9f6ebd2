/**
 * The HTTP source of seed 000 on a laptop: a small paginated JSON API over a {@link ListingStore}, on its
 * own port (it is an upstream system, not an AWS service behind the edge). It filters by date itself and
 * pages with an opaque cursor, which is what the `http-json` reader in `handlers/flow-types/sources/`
 * is written against.
 *
 * ```
 * GET /v1/listings?modified_from=ISO&modified_to=ISO&limit=N[&cursor=C]     (or sold_from / sold_to)
 * 200 { "listings": [ { "id", "address": { "street", "city" }, "price": { "amount", "currency" },
 *                       "propertyType", "updatedAt", "soldOn" } ], "next_cursor": "..." | null }
 * 400 { "message": "..." }   a bad or missing filter
 * ```
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListingStore, type UpstreamListing } from './listings.ts';

/** A running listing API. */
export interface ListingApi {
  /** `http://127.0.0.1:PORT`, the `base_url` of an `http-json` source. */
  readonly url: string;
  readonly store: ListingStore;
  /** Requests served, so a test can see the pages a download took. */
  readonly requests: string[];
  stop(): Promise<void>;
}

/** Options of {@link startListingApi}. */
export interface ListingApiOptions {
  /** Default 0: a free port. */
  readonly port?: number;
  readonly host?: string;
  readonly store?: ListingStore;
  /** Largest page the API hands out, whatever `limit` asks (default 100). */
  readonly maxPageSize?: number;
}

function render(listing: UpstreamListing): Record<string, unknown> {
  return {
    id: listing.id,
    address: { street: listing.street, city: listing.city },
    price: { amount: listing.price, currency: 'EUR' },
    propertyType: listing.propertyType,
    updatedAt: listing.updatedAt,
    soldOn: listing.soldOn,
  };
}

/** Answers one request, or says why not (status 400 / 404). */
export function answer(
  store: ListingStore,
  target: URL,
  maxPageSize: number,
): { status: number; body: unknown } {
  if (target.pathname !== '/v1/listings')
    return { status: 404, body: { message: `no route ${target.pathname}` } };
  const params = target.searchParams;
  const kind = params.has('sold_from') ? 'sold' : 'modified';
  const from = Date.parse(params.get(`${kind}_from`) ?? '');
  const to = Date.parse(params.get(`${kind}_to`) ?? '');
  if (Number.isNaN(from) || Number.isNaN(to)) {
    return {
      status: 400,
      body: { message: 'modified_from and modified_to (or sold_from and sold_to) must be ISO timestamps' },
    };
  }
  const limit = Math.min(Number(params.get('limit') ?? maxPageSize) || maxPageSize, maxPageSize);
  const offset = params.has('cursor')
    ? Number(Buffer.from(params.get('cursor') ?? '', 'base64url').toString())
    : 0;
  if (!Number.isInteger(offset) || offset < 0)
    return { status: 400, body: { message: 'cursor is not one this API gave' } };
  const matching = store.all().filter((listing) => {
    const value =
      kind === 'sold'
        ? listing.soldOn === null
          ? Number.NaN
          : Date.parse(listing.soldOn)
        : Date.parse(listing.updatedAt);
    return value >= from && value < to;
  });
  const page = matching.slice(offset, offset + limit);
  const next =
    offset + limit < matching.length ? Buffer.from(String(offset + limit)).toString('base64url') : null;
  return { status: 200, body: { listings: page.map(render), next_cursor: next } };
}

/**
 * Starts the API.
 *
 * @example
 * const api = await startListingApi({ store: new ListingStore(sampleListings(new Date(), 'H')) });
 * // public.source: { source_type: 'http-json', connection: { base_url: api.url, page_size: 2 } }
 * await api.stop();
 */
export async function startListingApi(options: ListingApiOptions = {}): Promise<ListingApi> {
  const store = options.store ?? new ListingStore();
  const maxPageSize = options.maxPageSize ?? 100;
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    requests.push(request.url ?? '');
    const { status, body } =
      request.method === 'GET'
        ? answer(store, new URL(request.url ?? '/', 'http://listing-api'), maxPageSize)
        : { status: 405, body: { message: `${request.method} is not served; GET /v1/listings` } };
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject).listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    store,
    requests,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
