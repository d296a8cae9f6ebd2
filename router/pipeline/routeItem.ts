/**
 * The route stage applied to one decoded record: which engine it goes to, when that engine's alias is live
 * in the batch's snapshot, and the words a record that goes nowhere is quarantined with.
 */
import type { ClaimCandidate } from './claim.ts';
import type { DecodedOk, DecodedRecord } from './decode.ts';
import { describe } from './execute.ts';
import { type BatchAliases, isPublished } from './resolve.ts';
import type { RouteMatch } from './route.ts';

/** One record of a window on its way through the stages. */
export interface WorkItem extends ClaimCandidate {
  readonly decoded: DecodedRecord;
  readonly route?: RouteMatch;
}

/** Route: the engine a decoded record goes to, when its alias is live in the batch's snapshot. */
export function routeItem(d: DecodedRecord, aliases: BatchAliases): WorkItem {
  if (!d.ok || d.envelope.kind === 'callback') return { decoded: d };
  const route = aliases.router.route(d.envelope);
  if (route === undefined || !isPublished(aliases, route.engine)) return { decoded: d };
  return { decoded: d, route, key: { engine: route.engine, dedupKey: route.dedupKey } };
}

/** Why a routable record has no engine to run on: no pattern matched, or the named engine is unpublished. */
export function noRouteDetail(d: DecodedOk, named: string | undefined): string {
  const detail =
    named === undefined
      ? 'no engine attribute and no route pattern matched'
      : `engine '${named}' is not published (no live alias)`;
  return `${describe(d)}: no-route: ${detail}`;
}
