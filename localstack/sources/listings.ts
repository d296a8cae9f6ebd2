/**
 * The upstream side of seed 000's sources, shared by the local servers that play them: listings as a
 * listing service holds them, before either server renders them in its own format (JSON pages, CSV
 * files). The sample set spreads its dates around a reference time so that each flow's window picks a
 * different, known subset.
 */

/** One listing as the upstream holds it. */
export interface UpstreamListing {
  readonly id: string;
  readonly street: string;
  readonly city: string;
  readonly price: number;
  readonly propertyType: string;
  /** ISO timestamp of the last change. */
  readonly updatedAt: string;
  /** `YYYY-MM-DD`, or null while unsold. */
  readonly soldOn: string | null;
}

const DAY_MS = 86_400_000;

/**
 * Six listings around `now`, ids `PREFIX-1` .. `PREFIX-6`: modified 2, 10, 45 and 200 days ago, in 1995 and
 * in 1985; sold in 2024, 2021, 2019 and 2022 (the others unsold). With a 30-day backdate that is 1-2 for a
 * Backdated run, 1-5 for Re-specs (from 1990), 2, 3 and 6 for Sold from 2021.
 */
export function sampleListings(now: Date, prefix: string): UpstreamListing[] {
  const ago = (days: number): string => new Date(now.getTime() - days * DAY_MS).toISOString();
  const rows: [string, string, number, string, string, string | null][] = [
    ['12 Harbour Rd', 'Cork', 315_000, 'house', ago(2), null],
    ['4 Quay St, Unit 2', 'Galway', 240_000, 'apartment', ago(10), '2024-06-01'],
    ['77 Main St', 'Dublin', 510_000, 'house', ago(45), '2021-03-15'],
    ['3 "The Elms"', 'Limerick', 198_000, 'bungalow', ago(200), '2019-11-30'],
    ['9 Mill Lane', 'Sligo', 150_000, 'cottage', '1995-05-05T09:30:00.000Z', null],
    ['1 Old Forge', 'Kilkenny', 275_000, 'house', '1985-01-01T12:00:00.000Z', '2022-02-02'],
  ];
  return rows.map(([street, city, price, propertyType, updatedAt, soldOn], i) => ({
    id: `${prefix}-${i + 1}`,
    street,
    city,
    price,
    propertyType,
    updatedAt,
    soldOn,
  }));
}

/** Mutable upstream data: what a server serves, changed by the demo and the tests between runs. */
export class ListingStore {
  readonly #listings = new Map<string, UpstreamListing>();

  constructor(listings: readonly UpstreamListing[] = []) {
    this.upsert(listings);
  }

  /** Adds or replaces listings by id. */
  upsert(listings: readonly UpstreamListing[]): void {
    for (const listing of listings) this.#listings.set(listing.id, listing);
  }

  /** Every listing, ordered by id. */
  all(): UpstreamListing[] {
    return [...this.#listings.values()].sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
  }
}

/** The listings as the SFTP source's CSV export (`modified_at` in UTC, `sold_date` empty while unsold). */
export function listingsCsv(listings: readonly UpstreamListing[]): string {
  const quote = (value: string): string =>
    /[",\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
  const lines = listings.map((l) =>
    [
      l.id,
      quote(l.street),
      quote(l.city),
      l.price.toFixed(2),
      l.propertyType,
      l.updatedAt.slice(0, 23).replace('T', ' '),
      l.soldOn ?? '',
    ].join(','),
  );
  return `listing_id,street,city,price,property_type,modified_at,sold_date\n${lines.join('\n')}\n`;
}
