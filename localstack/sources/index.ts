/** The upstream systems seed 000's sources read from, played locally: the listing API (and its data). */
export { type ListingApi, startListingApi } from './ListingApi.ts';
export { ListingStore, listingsCsv, sampleListings, type UpstreamListing } from './listings.ts';
