/**
 * Matching on text and events, shared by the router (routes) and the graph language (`Match`,
 * `StringMatches`), which import it from here and from nowhere else in this folder.
 */
export { compilePattern, PatternError } from './EventPattern.ts';
export { compileWildcard, type WildcardOptions, WildcardSyntaxError } from './wildcard.ts';
